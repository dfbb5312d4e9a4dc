#!/usr/bin/env bash
# Installs what SparseMpi needs from Debian packages, only what is missing. Where it cannot install (not root
# and no sudo, or no apt: e.g. a cluster with MPI from environment modules), it checks what the program
# actually needs and names exactly what is missing, instead of failing obscurely.
# Usage: scripts/deps.sh [extra Debian packages...]
set -euo pipefail

# Debian package -> the check that says its job is already done (so modules or other installs count).
declare -A satisfied=(
  [openmpi-bin]='command -v mpiexec.openmpi >/dev/null || { command -v mpiexec >/dev/null && mpiexec --version 2>&1 | grep -qi "open mpi"; }'
  [libopenmpi-dev]='ldconfig -p 2>/dev/null | grep -q "libmpi.so.40" || [ -n "${SPARSEMPI_MPI_LIB:-}" ]'
  [mpich]='command -v mpiexec.mpich >/dev/null'
  [dataset-fashion-mnist]='[ -d /usr/share/datasets/fashion-mnist ]'
  [fonts-dejavu-core]='[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]'
)
packages=(openmpi-bin libopenmpi-dev mpich dataset-fashion-mnist fonts-dejavu-core "$@")

if ! command -v dotnet >/dev/null; then
  echo "deps: the .NET 10 SDK (dotnet) is not on PATH; install it from https://dot.net" >&2; exit 1
fi

missing=()
for p in "${packages[@]}"; do
  if command -v dpkg-query >/dev/null && dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then continue; fi
  check=${satisfied[$p]:-false}
  eval "$check" 2>/dev/null && continue
  missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
if ! command -v apt-get >/dev/null || { [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; }; then
  echo "deps: cannot install (no apt-get, or not root and no sudo); missing: ${missing[*]}" >&2
  for p in "${missing[@]}"; do
    case $p in
      openmpi-bin|libopenmpi-dev) echo "  - MPI: no Open MPI found; load your MPI (e.g. 'module load openmpi'), or point SPARSEMPI_MPI_LIB at libmpi.so / libmpich.so" >&2 ;;
      mpich) echo "  - MPICH's mpiexec.mpich (only the MPICH tests need it)" >&2 ;;
      dataset-fashion-mnist) echo "  - Fashion-MNIST: put the four idx files in a directory and pass --data DIR" >&2 ;;
      fonts-dejavu-core) echo "  - the DejaVu Sans font (plots render without text otherwise)" >&2 ;;
      *) echo "  - $p" >&2 ;;
    esac
  done
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other processes may hold the dpkg lock: wait for it instead of failing.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
