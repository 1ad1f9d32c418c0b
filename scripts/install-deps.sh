#!/usr/bin/env bash
# Installs the Debian 12 packages engram builds with (only those missing), and any further
# packages named as arguments. Needs root.
set -euo pipefail
packages=(
  "$@"
  g++ cmake ninja-build pkg-config
  libboost-graph-dev libtbb-dev libhdf5-dev hdf5-tools nlohmann-json3-dev
  catch2 librandom123-dev libcli11-dev libfmt-dev libcairo2-dev libbenchmark-dev libvalijson-dev
  zlib1g-dev
)
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
