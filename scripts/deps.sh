#!/usr/bin/env bash
# Installs the Debian packages SparseMpi needs, only those missing. Where it cannot install (not root and no
# sudo, or no apt: a cluster with MPI from environment modules), it says exactly what is missing and stops.
set -euo pipefail
packages=(openmpi-bin libopenmpi-dev mpich dataset-fashion-mnist fonts-dejavu-core "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v dotnet >/dev/null; then
  echo "deps: the .NET 10 SDK (dotnet) is not on PATH; install it from https://dot.net" >&2; exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "deps: missing ${missing[*]} and apt-get is not available; provide MPI (e.g. 'module load openmpi'), and Fashion-MNIST via --data DIR" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "deps: missing Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other processes may hold the dpkg lock: wait for it instead of failing.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
