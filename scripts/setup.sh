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
  libboost-dev        # Boost.Math distributions (validate: t and normal tails)
  libeigen3-dev       # bayesopt: GP linear algebra
  liblbfgspp-dev      # bayesopt: L-BFGS-B for GP hyperparameters and the acquisition
  python3-optuna      # bayesopt benchmark (scripts/bench/bayesopt.sh): Optuna TPE beside rlab
  libsqlite3-dev      # bayesopt --storage sqlite:///PATH: shared study for local workers
  libpq-dev           # bayesopt --storage postgresql://...: shared study for many machines
  postgresql          # storage tests and bench: a throw-away server on loopback (initdb, pg_ctl)
  sqlite3             # the sqlite3 shell, to inspect a shared study
  python3-psycopg2    # bench (scripts/bench/bo_workers.sh): Optuna's PostgreSQL storage beside rlab
  libcurl4-openssl-dev  # lit-search: HTTP client (lib/net)
  libicu-dev          # lit-search: Unicode NFKC normalisation and case folding
  libstemmer-dev      # lit-search: Snowball English stemming (--stem)
  ca-certificates     # lit-search: TLS verification of api.semanticscholar.org / api.openalex.org
  dataset-fashion-mnist  # real data for `rlab prototype` (/usr/share/datasets/fashion-mnist)
  # tests
  libgtest-dev        # unit and end-to-end tests
  graphviz            # checks that `prioritize --format dot` is valid Graphviz
  librsvg2-bin        # chart tests: every SVG rlab draws is rendered to PNG by rsvg-convert
  zsh                 # checks that the zsh completion script parses
  libcpp-httplib-dev  # lit-search tests: loopback HTTP servers
  python3-sklearn     # lit-search benchmark: CountVectorizer comparison
  python3             # reference scripts (/usr/bin/python3)
  python3-numpy       # scripts/bench/cost.sh times a numpy version of the cost simulation
  python3-scipy       # tests/reference/cost_reference.py (regenerates the cost reference)
  python3-yaml        # tests/reference/trl_reference.py reads the TRL example and scale
  tzdata              # pomodoro: time zones (/usr/share/zoneinfo)
  python3-icalendar   # pomodoro tests: --ics output parsed by a real iCalendar parser
  python3-torch       # prototype benchmark (scripts/bench/prototype.sh): PyTorch in Python beside rlab
  slurm-wlm           # scripts/test-slurm.sh: a real single-node Slurm (slurmctld, slurmd, sbatch)
  munge               # scripts/test-slurm.sh: Slurm's authentication daemon
  libgloo-dev         # training core: Gloo headers for data-parallel training (torch.distributed)
  clang-14            # sanitizer build (preset asan: ASan + UBSan) and libFuzzer targets
  libclang-rt-14-dev  # clang's sanitizer and libFuzzer runtimes (preset asan, scripts/fuzz.sh)
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
