#!/usr/bin/env bash
# A cluster on one machine: N "nodes" made of Linux network namespaces, each with its own hostname (node1..nodeN),
# joined by a switch (a bridge in a namespace of its own) over veth pairs, each node's egress shaped with tc tbf.
# Real TCP between the nodes, shared memory inside a node, exactly as on a cluster. Nothing is added to the
# host's own network namespace: every interface and address lives in namespaces this script creates, and
# there is no route out of them.
#
#   scripts/cluster.sh up N [--rate 1gbit|10gbit|25gbit|none] [--ranks-per-node R] [--mtu 1500|9000] [--owner PID]
#        creates the cluster, prints its id and how to launch (export SPARSEMPI_CLUSTER=<id> for the others)
#   scripts/cluster.sh run [--node I|ctl] -- CMD...
#        runs CMD on node I (default 1; ctl: the controller's namespace, for slurmctld) with the launcher
#        settings of the cluster in its environment, so a plain
#        `mpiexec -n 4 bin/sparsempi check-mpi` (Open MPI) or `mpiexec.mpich -n 4 ...` (MPICH) spans the nodes
#   scripts/cluster.sh session N [options of up] -- CMD...
#        up, then CMD on the host with SPARSEMPI_CLUSTER set, then down (also when CMD fails or is interrupted)
#   scripts/cluster.sh env | info      the launcher settings as `export` lines | what the cluster is
#   scripts/cluster.sh down [ID|--all]
#        removes the cluster ID (else $SPARSEMPI_CLUSTER; with neither, every cluster of a plain `up`), then the
#        leftovers of every dead run (a cluster whose owner process is gone); never a cluster whose owner is alive
#        unless named; --all removes every cluster of this script
#   scripts/cluster.sh check           exits 0 when network namespaces can be made here, else prints why (exit 77)
#   scripts/cluster.sh linkcheck       shaped bandwidth node1 -> node2 against the set rate (within 15%)
#
# Which cluster: SPARSEMPI_CLUSTER=<id>, or the only one that exists. State: $SPARSEMPI_CLUSTER_ROOT/<id>
# (default /tmp/sparsempi-cluster): hostfiles, the launch agent, the settings. A cluster made with --owner PID
# (a test run, a session) belongs to that process: once it has died, the next `up` or `down` removes it.
#
# Launcher settings `run` puts in the environment (and `env` prints; on a real cluster they are the only thing
# that changes, with the hostfile):
#   Open MPI: OMPI_MCA_orte_default_hostfile (the hostfile), OMPI_MCA_plm_rsh_agent (the agent below),
#             OMPI_MCA_btl=tcp,self,vader, OMPI_MCA_btl_tcp_if_include and OMPI_MCA_oob_tcp_if_include (the subnet:
#             interface names could differ per node), OMPI_MCA_hwloc_base_binding_policy=none (= --bind-to none:
#             otherwise every node binds its first rank to core 0 and two "nodes" share one core), and
#             OMPI_MCA_mpi_yield_when_idle=1 when the ranks outnumber the cores (ranks busy-poll TCP otherwise).
#   MPICH:    HYDRA_HOST_FILE, HYDRA_LAUNCHER=ssh, HYDRA_LAUNCHER_EXEC (the agent), UCX_NET_DEVICES=eth0.
# The agent takes what ssh takes (options, HOST, command words) and runs the command inside HOST's namespace
# under `unshare --uts` with HOST's hostname (without a hostname per node Open MPI's shared memory transport
# crashed, and MPI's node detection sees one node).
set -euo pipefail
SELF=$(readlink -f "$0")
ROOT_DIR=${SPARSEMPI_CLUSTER_ROOT:-/tmp/sparsempi-cluster}
PREFIX=smc # namespace names: smc-<id>-node<i>, smc-<id>-switch, smc-<id>-ctl
SUBNET_BASE=10.199.0 # inside our own namespaces only; node i is .i, the controller namespace .250
SUBNET=$SUBNET_BASE.0/24

die() { echo "cluster: error: $*" >&2; exit "${2:-2}"; }
say() { echo "cluster: $*"; }

# --- can namespaces be made here? One line and exit 77 when not (the tests skip on exactly that).
check_namespaces() {
  [ "$(id -u)" -eq 0 ] || { echo "cluster: error: cannot create network namespaces: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); running as uid $(id -u)" >&2; return 77; }
  local c
  for c in ip tc unshare; do command -v "$c" >/dev/null || { echo "cluster: error: cannot create network namespaces: '$c' not found (Debian: iproute2, util-linux)" >&2; return 77; }; done
  local probe="$PREFIX-probe-$$" out
  if ! out=$(ip netns add "$probe" 2>&1); then
    echo "cluster: error: cannot create network namespaces: ip netns add failed: $(echo $out)" >&2; return 77
  fi
  if ! out=$(ip netns exec "$probe" unshare --uts sh -c 'hostname probe && ip link set lo up' 2>&1); then
    ip netns del "$probe" 2>/dev/null || true
    echo "cluster: error: cannot create network namespaces: a command inside one failed: $(echo $out)" >&2; return 77
  fi
  ip netns del "$probe"
}

# --- rates: tbf needs a burst of at least one timer tick's worth of bytes at the rate
rate_bits() {
  case "$1" in
    1gbit) echo 1000000000 ;; 10gbit) echo 10000000000 ;; 25gbit) echo 25000000000 ;; none) echo 0 ;;
    *) die "--rate must be 1gbit, 10gbit, 25gbit or none (got '$1')" ;;
  esac
}

# Owner process identity: pid and its start time (so a reused pid does not keep a dead run alive).
proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}' || true; } # field 22, counted after the command name (which may hold spaces)
owner_alive() { # dir
  local owner pid start
  owner=$(cat "$1/owner" 2>/dev/null || echo "")
  # No owner yet: an `up` that has just made the directory (alive for a minute), or one killed right then.
  if [ -z "$owner" ]; then [ -n "$(find "$1" -maxdepth 0 -mmin -1 2>/dev/null)" ]; return; fi
  [ "$owner" = none ] && return 0
  pid=${owner%% *}; start=${owner#* }
  [ -d "/proc/$pid" ] && [ "$(proc_start "$pid")" = "$start" ]
}

# Removes one cluster by id: its processes, namespaces (their veths go with them), /etc/netns files, state.
remove_cluster() {
  local id=$1 ns pids
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-$id-" || true); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then kill -TERM $pids 2>/dev/null || true; fi
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-$id-" || true); do
    for _ in $(seq 20); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null || true; sleep 0.1; fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  rmdir /etc/netns 2>/dev/null || true # only when empty
  rm -rf "${ROOT_DIR:?}/$id"
}

# Every cluster this script knows of: state directories, and namespaces whose state is gone.
all_ids() {
  { ls "$ROOT_DIR" 2>/dev/null || true
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$PREFIX-\([0-9a-f]\{6\}\)-.*/\1/p"
  } | sort -u
}

sweep_dead() {
  local id
  for id in $(all_ids); do
    [[ "$id" =~ ^[0-9a-f]{6}$ ]] || continue
    if [ ! -d "$ROOT_DIR/$id" ] || ! owner_alive "$ROOT_DIR/$id"; then
      say "removing leftovers of dead run $id"
      remove_cluster "$id"
    fi
  done
}

new_id() {
  local id
  id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  while [ -e "$ROOT_DIR/$id" ]; do id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n'); done
  echo "$id"
}

current_id() {
  if [ -n "${SPARSEMPI_CLUSTER:-}" ]; then echo "$SPARSEMPI_CLUSTER"; return; fi
  local ids
  ids=$(ls "$ROOT_DIR" 2>/dev/null || true)
  [ -n "$ids" ] || die "no cluster is up (scripts/cluster.sh up N)"
  [ "$(wc -w <<<"$ids")" -eq 1 ] || die "several clusters are up ($(echo $ids)): set SPARSEMPI_CLUSTER to one of them"
  echo "$ids"
}

load() { # sets DIR and the cluster's settings
  ID=$(current_id)
  DIR=$ROOT_DIR/$ID
  [ -f "$DIR/settings" ] || die "cluster $ID does not exist (or is not finished): see scripts/cluster.sh down"
  # shellcheck source=/dev/null
  source "$DIR/settings"
}

cmd_up() {
  local n="" rate=none rpn=1 owner=none mtu=1500 id=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --rate) rate=${2:?--rate needs a value}; shift 2 ;;
      --ranks-per-node) rpn=${2:?--ranks-per-node needs a value}; shift 2 ;;
      --owner) owner=${2:?--owner needs a pid}; shift 2 ;;
      --mtu) mtu=${2:?--mtu needs a value}; shift 2 ;;
      --id) id=${2:?--id needs a value}; shift 2 ;; # for session: the id it has already set its traps for
      -*) die "up: unknown option '$1'" ;;
      *) [ -z "$n" ] || die "up: more than one node count ('$n', '$1')"; n=$1; shift ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 64 ] || die "up: N must be a node count from 1 to 64 (got '${n}')"
  [[ "$rpn" =~ ^[1-9][0-9]*$ ]] || die "up: --ranks-per-node must be a positive integer (got '$rpn')"
  local bits; bits=$(rate_bits "$rate")
  [[ "$mtu" =~ ^[0-9]+$ ]] && [ "$mtu" -ge 1280 ] && [ "$mtu" -le 9000 ] || die "up: --mtu must be 1280..9000 (got '$mtu')"
  if [ "$owner" != none ]; then
    [[ "$owner" =~ ^[0-9]+$ ]] && [ -d "/proc/$owner" ] || die "up: --owner $owner is not a running process"
  fi
  check_namespaces || exit 77
  mkdir -p "$ROOT_DIR"
  sweep_dead

  if [ -n "$id" ]; then
    [[ "$id" =~ ^[0-9a-f]{6}$ ]] || die "up: --id must be 6 hex digits (got '$id')"
    [ ! -e "$ROOT_DIR/$id" ] && [ -z "$(ip netns list | grep -E "^$PREFIX-$id-")" ] || die "up: cluster $id exists already"
  else
    id=$(new_id)
  fi
  DIR=$ROOT_DIR/$id
  mkdir -p "$DIR"
  # While it is being made the cluster belongs to this `up`: if it is killed half-way, the next sweep removes
  # what it made; a concurrent `up` or `down` of another run leaves it alone. The real owner is written last.
  echo "$$ $(proc_start $$)" >"$DIR/owner"
  local sw=$PREFIX-$id-switch i ns
  # If this `up` fails half-way, remove what it made.
  trap 'rc=$?; if [ $rc -ne 0 ]; then remove_cluster '"$id"'; fi; exit $rc' EXIT
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 mtu "$mtu" up
  local hosts="127.0.0.1 localhost"$'\n'
  for i in $(seq "$n"); do hosts+="$SUBNET_BASE.$i node$i"$'\n'; done
  hosts+="$SUBNET_BASE.250 ctl"$'\n'
  attach() { # namespace port-name address
    local ns=$1 port=$2 addr=$3
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add eth0 netns "$ns" type veth peer name "$port" netns "$sw"
    ip -n "$sw" link set "$port" mtu "$mtu" master br0 up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 mtu "$mtu" up
    mkdir -p "/etc/netns/$ns"
    printf '%s' "$hosts" >"/etc/netns/$ns/hosts" # `ip netns exec` mounts it over /etc/hosts
  }
  for i in $(seq "$n"); do
    ns=$PREFIX-$id-node$i
    attach "$ns" "node$i" "$SUBNET_BASE.$i"
    if [ "$bits" -gt 0 ]; then
      # Egress of each node, so every direction of every link is shaped once. The bucket holds 2 ms at the
      # rate (at least 256 KiB): enough for the kernel's timer granularity and TSO's 64 KiB segments.
      local burst=$(( bits / 8 / 500 )); [ "$burst" -ge 262144 ] || burst=262144
      ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$rate" burst "$burst" latency 20ms
    fi
  done
  # A namespace for daemons that belong to no node (slurmctld), on the same switch, not shaped. Its state directory also holds what the Slurm test makes, so a sweep removes that too.
  attach "$PREFIX-$id-ctl" ctl "$SUBNET_BASE.250"

  # The launch agent: ssh's calling convention, a namespace instead of a remote host.
  cat >"$DIR/agent" <<EOF
#!/bin/sh
# Launch agent of cluster $id (made by scripts/cluster.sh): called like ssh, [options] HOST COMMAND-WORDS...,
# runs the command inside HOST's network namespace with HOST as its hostname.
while [ \$# -gt 0 ]; do
  case "\$1" in
    -o|-p|-l|-i|-F|-E|-b|-c|-J|-L|-R|-D|-S|-W|-w) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
host=\$1; shift
case "\$host" in
  node[0-9]*) n=\${host#node} ;;
  $SUBNET_BASE.*) n=\${host##*.}; host=node\$n ;;
  *) echo "cluster agent: error: unknown host '\$host' (cluster $id has node1..node$n)" >&2; exit 255 ;;
esac
[ "\$n" -ge 1 ] && [ "\$n" -le $n ] 2>/dev/null || { echo "cluster agent: error: unknown host '\$host' (cluster $id has node1..node$n)" >&2; exit 255; }
exec ip netns exec $PREFIX-$id-node\$n unshare --uts sh -c 'hostname "\$0"; exec sh -c "\$*"' "\$host" "\$*"
EOF
  chmod +x "$DIR/agent"
  : >"$DIR/hostfile.openmpi"; : >"$DIR/hostfile.mpich"
  for i in $(seq "$n"); do
    echo "node$i slots=$rpn" >>"$DIR/hostfile.openmpi"
    echo "node$i:$rpn" >>"$DIR/hostfile.mpich"
  done
  local cores yield=0; cores=$(nproc)
  [ $((n * rpn)) -le "$cores" ] || yield=1
  cat >"$DIR/settings" <<EOF
NODES=$n
RANKS_PER_NODE=$rpn
RATE=$rate
MTU=$mtu
SUBNET=$SUBNET
YIELD=$yield
EOF
  {
    echo "export SPARSEMPI_CLUSTER=$id"
    echo "export SPARSEMPI_EMULATED_CLUSTER='netns cluster $id: $n nodes x $rpn ranks, links $rate (tc tbf on each node egress), mtu $mtu, subnet $SUBNET'"
    echo "export OMPI_MCA_orte_default_hostfile=$DIR/hostfile.openmpi"
    echo "export OMPI_MCA_plm_rsh_agent=$DIR/agent"
    echo "export OMPI_MCA_btl=tcp,self,vader"
    echo "export OMPI_MCA_btl_tcp_if_include=$SUBNET"
    echo "export OMPI_MCA_oob_tcp_if_include=$SUBNET"
    echo "export OMPI_MCA_hwloc_base_binding_policy=none"
    [ "$yield" = 1 ] && echo "export OMPI_MCA_mpi_yield_when_idle=1"
    echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    echo "export HYDRA_HOST_FILE=$DIR/hostfile.mpich"
    echo "export HYDRA_LAUNCHER=ssh"
    echo "export HYDRA_LAUNCHER_EXEC=$DIR/agent"
    echo "export UCX_NET_DEVICES=eth0"
  } >"$DIR/env"
  if [ "$owner" = none ]; then echo none >"$DIR/owner"; else echo "$owner $(proc_start "$owner")" >"$DIR/owner"; fi
  trap - EXIT
  echo "$id" >"$DIR/id"
  say "cluster $id up: $n nodes (node1..node$n, $SUBNET), $rpn ranks per node, links $rate, mtu $mtu$([ "$yield" = 1 ] && echo ", mpi_yield_when_idle on: $((n * rpn)) ranks > $cores cores")"
  cat <<EOF
cluster: launch with   export SPARSEMPI_CLUSTER=$id
cluster:   scripts/cluster.sh run -- mpiexec -n $((n * rpn)) bin/sparsempi check-mpi        (Open MPI)
cluster:   scripts/cluster.sh run -- mpiexec.mpich -n $((n * rpn)) bin/sparsempi check-mpi  (MPICH)
cluster: or, from node1, with the options spelled out:
cluster:   mpiexec --hostfile $DIR/hostfile.openmpi --mca plm_rsh_agent $DIR/agent --mca btl tcp,self,vader --mca btl_tcp_if_include $SUBNET --mca oob_tcp_if_include $SUBNET --bind-to none$([ "$yield" = 1 ] && echo " --mca mpi_yield_when_idle 1") -n $((n * rpn)) ...
cluster:   mpiexec.mpich -f $DIR/hostfile.mpich -launcher ssh -launcher-exec $DIR/agent -n $((n * rpn)) ...
cluster: remove with   scripts/cluster.sh down $id
EOF
}

cmd_run() {
  local node=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --node) node=${2:?--node needs a number}; shift 2 ;;
      --) shift; break ;;
      *) die "run: expected '--' before the command (got '$1')" ;;
    esac
  done
  [ $# -gt 0 ] || die "run: no command after '--'"
  load
  local ns host
  if [ "$node" = ctl ]; then
    ns=$PREFIX-$ID-ctl host=ctl
  else
    [[ "$node" =~ ^[0-9]+$ ]] && [ "$node" -ge 1 ] && [ "$node" -le "$NODES" ] || die "run: --node must be 1..$NODES or ctl (got '$node')"
    ns=$PREFIX-$ID-node$node host=node$node
  fi
  # shellcheck source=/dev/null
  source "$DIR/env"
  exec ip netns exec "$ns" unshare --uts sh -c 'hostname "$0"; exec "$@"' "$host" "$@"
}

cmd_session() {
  local up=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do up+=("$1"); shift; done
  [ "${1:-}" = -- ] || die "session: expected '-- CMD...' after the options of up"
  shift
  [ $# -gt 0 ] || die "session: no command after '--'"
  # The id is chosen here, before anything exists, so a signal at any point leaves nothing: the traps are set
  # first, and removing a cluster that is not (yet, or fully) there is harmless.
  local id
  id=$(new_id)
  trap '"$SELF" down "$id" >/dev/null' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  "$SELF" up "${up[@]}" --owner $$ --id "$id" || exit $?
  # The command runs in the background so that a signal reaches this shell's traps at once (bash runs a trap
  # only after a foreground child ends); it is stopped too, then the cluster is removed.
  local rc=0 child
  SPARSEMPI_CLUSTER=$id "$@" &
  child=$!
  trap 'kill -TERM $child 2>/dev/null; exit 130' INT
  trap 'kill -TERM $child 2>/dev/null; exit 143' TERM
  trap 'kill -TERM $child 2>/dev/null; exit 129' HUP
  wait "$child" || rc=$?
  exit "$rc"
}

cmd_down() {
  local target=${1:-}
  mkdir -p "$ROOT_DIR"
  if [ "$target" = --all ]; then
    local id
    for id in $(all_ids); do [[ "$id" =~ ^[0-9a-f]{6}$ ]] && remove_cluster "$id" && say "removed $id"; done
    return 0
  fi
  [ -n "$target" ] || target=${SPARSEMPI_CLUSTER:-}
  if [ -n "$target" ]; then
    [[ "$target" =~ ^[0-9a-f]{6}$ ]] || die "down: '$target' is not a cluster id"
    remove_cluster "$target"
    say "removed $target"
  else
    # No id: the clusters of a plain `up` (no owner), never one whose owner is alive (a running test or session).
    local id
    for id in $(ls "$ROOT_DIR" 2>/dev/null); do
      [[ "$id" =~ ^[0-9a-f]{6}$ ]] && [ "$(cat "$ROOT_DIR/$id/owner" 2>/dev/null)" = none ] || continue
      remove_cluster "$id"
      say "removed $id"
    done
  fi
  sweep_dead
}

cmd_info() {
  load
  echo "cluster $ID: $NODES nodes x $RANKS_PER_NODE ranks, links $RATE, mtu $MTU, subnet $SUBNET, state $DIR"
  local i
  for i in $(seq "$NODES"); do
    echo "node$i: namespace $PREFIX-$ID-node$i, $SUBNET_BASE.$i, $(ip netns exec "$PREFIX-$ID-node$i" tc qdisc show dev eth0 | head -n1)"
  done
}

# Point-to-point bandwidth node1 -> node2 with a plain TCP stream (bash and dd, no extra packages): the
# receiver counts what arrives in a fixed time. Prints measured vs set rate; fails when off by more than 15%.
cmd_linkcheck() {
  load
  [ "$NODES" -ge 2 ] || die "linkcheck: needs at least 2 nodes"
  [ "$RATE" != none ] || die "linkcheck: the links are not shaped (--rate none): nothing to compare with"
  local bits seconds=${LINKCHECK_SECONDS:-3} port=5201
  bits=$(rate_bits "$RATE")
  command -v python3 >/dev/null || "$(dirname "$SELF")/deps.sh" python3 >/dev/null || die "linkcheck: needs python3 (Debian: python3)"
  local out
  out=$(python3 - "$PREFIX-$ID-node1" "$PREFIX-$ID-node2" "$SUBNET_BASE.2" "$port" "$seconds" <<'EOF'
import subprocess, sys, time
src, dst, addr, port, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
# Receiver in node2: accept one connection, time from the first byte after a 0.5 s warm-up to the end.
recv = r'''
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", %d)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); buf = bytearray(1 << 20); n = 0; t0 = None; warm = None
while True:
    k = c.recv_into(buf)
    if not k: break
    now = time.monotonic()
    if t0 is None: t0 = now
    if warm is None and now - t0 >= 0.5: warm = now; n = 0
    n += k
t1 = time.monotonic()
print(n * 8 / (t1 - warm) if warm else 0, flush=True)
''' % (addr, port)
r = subprocess.Popen(["ip", "netns", "exec", dst, "python3", "-c", recv], stdout=subprocess.PIPE, text=True)
assert r.stdout.readline().strip() == "ready"
send = r'''
import socket, time
s = socket.create_connection(("%s", %d)); b = bytes(1 << 20); end = time.monotonic() + %f
while time.monotonic() < end: s.sendall(b)
s.close()
''' % (addr, port, seconds + 0.5)
subprocess.run(["ip", "netns", "exec", src, "python3", "-c", send], check=True)
print(float(r.stdout.readline()))
r.wait()
EOF
  ) || die "linkcheck: the TCP stream node1 -> node2 failed: $out"
  python3 - "$out" "$bits" "$RATE" <<'EOF'
import sys
measured, rate, name = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ratio = measured / rate
ok = abs(ratio - 1) <= 0.15
print(f"linkcheck: node1 -> node2 TCP {measured / 1e9:.3f} Gb/s, set rate {name} ({rate / 1e9:g} Gb/s): {ratio:.3f} of the rate: {'ok' if ok else 'FAILED (more than 15% off)'}")
sys.exit(0 if ok else 1)
EOF
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  run) shift; cmd_run "$@" ;;
  session) shift; cmd_session "$@" ;;
  down) shift; check_namespaces || exit 77; cmd_down "$@" ;;
  env) load; cat "$DIR/env" ;;
  info) load; cmd_info ;;
  check) check_namespaces ;;
  linkcheck) shift; cmd_linkcheck ;;
  ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (up, run, session, env, info, down, check, linkcheck)" ;;
esac
