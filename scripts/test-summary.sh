#!/usr/bin/env bash
# Prints the one plain closing line of `make test`: "N passed, N failed" (", N skipped" when tests were skipped:
# NUnit's Assert.Ignore, e.g. the cluster tests where network namespaces cannot be made), summed over the TRX files.
passed=0; failed=0; total=0; skipped=0
for f in "$@"; do
  [ -f "$f" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$f" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$c"); x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$c")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$c")
  # Skipped (NUnit's Ignore) results carry outcome="NotExecuted"; the Counters line does not count them.
  n=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$f" | wc -l)
  passed=$((passed + ${p:-0})); failed=$((failed + ${x:-0})); total=$((total + ${t:-0})); skipped=$((skipped + ${n:-0}))
done
# Tests that neither passed nor failed (not run, aborted) count as failed: a crash of the runner is no pass.
failed=$((failed + total - passed - failed - skipped))
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
