#!/usr/bin/env bash
# Checks one run directory written by a job script in jobs/ (jobs/lib.sh, sm_launch):
#   scripts/check-run.sh RUN_DIR RANKS
# The launch must have asked for RANKS ranks and exited 0, and the run must have produced what its verb
# promises: `train` a summary.json holding one JSON object, `check-mpi` its "all N checks passed on RANKS
# ranks" line. Any other verb fails: a check that does not know what to look for must not pass.
# Prints one line; exits non-zero on the first problem.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RUN_DIR RANKS" >&2; exit 2; }
dir=$1 ranks=$2
fail() { echo "check-run: $dir: $*" >&2; exit 1; }

[ -d "$dir" ] || fail "no such run directory"
[ -s "$dir/launch.cmd" ] || fail "no launch.cmd: the job script never launched this run"
[ -s "$dir/launch.exit" ] || fail "no launch.exit: the launch never finished (killed, or the job timed out)"
rc=$(<"$dir/launch.exit")
[ "$rc" = 0 ] || fail "the launch exited with code $rc; its output: $dir/launch.log"
cmd=$(<"$dir/launch.cmd")
[[ " $cmd " =~ (" --ntasks=$ranks "|" -n $ranks ") ]] || fail "the launch did not ask for $ranks ranks: $cmd"

if [[ " $cmd " == *" train "* ]]; then
  f=$dir/summary.json
  [ -s "$f" ] || fail "train wrote no summary.json"
  # No JSON parser is guaranteed on a bare Debian (no python3, no jq): check the shape, the object braces
  # around the whole file, and leave full parsing to the .NET tests (SparseMpi.Tests/Jobs).
  body=$(tr -d ' \t\r\n' <"$f")
  [[ "$body" == "{"*"}" ]] || fail "summary.json is not one JSON object: $(head -c 200 "$f")"
  # The rank count the program saw: a launcher that fails to wire the ranks up (e.g. a PMI mismatch) starts
  # N singletons, each of which trains happily on "1 rank".
  grep -qE "^[[:space:]]*\"ranks\":[[:space:]]*$ranks,?[[:space:]]*$" "$f" ||
    fail "summary.json does not say \"ranks\": $ranks: $(grep -m1 '"ranks"' "$f" || echo 'no ranks entry')"
  echo "check-run: $dir: train on $ranks ranks, summary.json written"
elif [[ " $cmd " == *" check-mpi "* ]]; then
  grep -qE "^check-mpi: all [0-9]+ checks passed on $ranks ranks$" "$dir/launch.log" ||
    fail "check-mpi did not report all checks passed on $ranks ranks; its output: $(tail -n 5 "$dir/launch.log")"
  echo "check-run: $dir: check-mpi passed on $ranks ranks"
else
  fail "launched neither train nor check-mpi, so there is nothing known to check: $cmd"
fi
