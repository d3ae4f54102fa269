# Sourced by the benchmark scripts (run from the repository root).
# bench_rlab [TARGET...]: prints the rlab binary to time. RLAB_BIN=path/to/rlab names an
# already built one (same flags, e.g. build/ci/bin/rlab); otherwise the release preset is
# configured and TARGETs (default: rlab) are built, with ccache when it is installed.
bench_rlab() {
  if [ -n "${RLAB_BIN:-}" ]; then
    realpath "$RLAB_BIN"
    return
  fi
  if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi
  cmake --preset release >/dev/null
  cmake --build --preset release --target "${@:-rlab}" >/dev/null
  echo "$PWD/build/release/bin/rlab"
}
