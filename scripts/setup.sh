#!/usr/bin/env bash
# Installs the Debian packages rlab needs to build, test and run. Idempotent: runs
# `apt-get update` only when something is missing, and prints what it installs.
# This list is the one place where rlab's system dependencies are named (README explains each).
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache git pkg-config
  # libraries (ARCHITECTURE.md §10)
  libcli11-dev        # command line
  libfmt-dev          # formatting
  libyaml-cpp-dev     # configs
  nlohmann-json3-dev  # JSON output and inputs
  libtorch-dev        # training core (plugin, loaded on demand)
  zlib1g-dev          # gzip datasets
  dataset-fashion-mnist  # real data for `rlab prototype` (/usr/share/datasets/fashion-mnist)
  # tests
  libgtest-dev        # unit and end-to-end tests
  graphviz            # checks that `prioritize --format dot` is valid Graphviz
  zsh                 # checks that the zsh completion script parses
  python3             # reference scripts (/usr/bin/python3)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${#missing[@]} package(s)"
