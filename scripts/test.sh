#!/usr/bin/env bash
# Installs what is missing, builds (preset `ci`: optimised, warnings as errors) and runs every
# test through ctest; then the reliability suite (docs/reliability.md): the same tests built
# with clang under AddressSanitizer + UndefinedBehaviorSanitizer (preset `asan`, no torch),
# and every libFuzzer target for RLAB_FUZZ_SECONDS each (default 60, two at a time).
# RLAB_SKIP_SANITIZE=1 skips the reliability suite (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if command -v ccache >/dev/null; then
  # Paths relative to the checkout, so clones in other folders share the cache (with -g, ccache
  # also hashes the build folder unless told not to).
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
export NO_COLOR=1
cmake --preset ci
cmake --build --preset ci
ctest --preset ci
# The test against a real Slurm (about a minute, needs root) runs where Slurm is installed:
# always in CI (scripts/setup.sh installs slurm-wlm and munge), so there a missing Slurm fails.
if command -v slurmctld >/dev/null && command -v munged >/dev/null; then
  bash scripts/test-slurm.sh build/ci/bin/rlab
elif [ "${CI:-}" = true ]; then
  echo "test: Slurm (slurmctld, munged) is not installed; scripts/setup.sh installs slurm-wlm and munge" >&2
  exit 1
else
  echo "test: scripts/test-slurm.sh skipped: Slurm is not installed (slurm-wlm, munge)"
fi
if [ "${RLAB_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake --preset asan
  cmake --build --preset asan
  ctest --preset asan
  bash scripts/fuzz.sh "${RLAB_FUZZ_SECONDS:-60}"
fi
