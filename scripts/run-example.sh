#!/usr/bin/env bash
# The main job: set up, build, simulate the default example network (Vogels–Abbott COBA),
# write every spike to out/vogels_abbott_coba.h5 and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
mkdir -p out
./build/apps/engram run examples/vogels_abbott_coba.json -o out/vogels_abbott_coba.h5 "$@"
./build/apps/engram info out/vogels_abbott_coba.h5
