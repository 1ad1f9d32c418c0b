#!/usr/bin/env bash
# Installs the Debian 12 packages the side-by-side benchmark runner (bench/compare.py) uses,
# on top of those engram builds with (scripts/install-deps.sh); only those missing. Needs root.
#   python3-brian       Brian2 2.5 (C++ standalone device and runtime mode)
#   cython3             Brian2's runtime mode with the cython code-generation target
#   python3-h5py        reads engram's SONATA spike files
#   python3-numpy       rates, CVs of ISIs, fits
#   python3-matplotlib  docs/figures/benchmarks.png
#   time                /usr/bin/time, for reproducing single measurements by hand
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
packages=(python3 python3-numpy python3-brian cython3 python3-h5py python3-matplotlib time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
