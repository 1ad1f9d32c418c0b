#!/usr/bin/env bash
# Installs, on top of what engram builds with, the Debian packages the side-by-side runner
# (bench/compare.py) uses; only those missing (scripts/install-deps.sh does the work):
#   python3-brian       Brian2 2.5 (C++ standalone device and runtime mode)
#   cython3             Brian2's runtime mode with the cython code-generation target
#   python3-h5py        reads engram's SONATA spike files
#   python3-numpy       rates, CVs of ISIs, fits
#   python3-matplotlib  docs/figures/benchmarks.png
#   time                /usr/bin/time, for reproducing single measurements by hand
#   dataset-fashion-mnist  Fashion-MNIST idx files, for the Sparsey classification benchmark
#   python3-sklearn     scikit-learn's 8x8 digits (digits.csv.gz), likewise
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/install-deps.sh" \
  python3 python3-brian cython3 python3-h5py python3-numpy python3-matplotlib time \
  dataset-fashion-mnist python3-sklearn
