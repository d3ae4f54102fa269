#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has CUDA PyTorch, a compiler,
# CMake and ninja but none of rlab's other dependencies: the rlab binary built here (debug info
# stripped), the shared libraries it loads that are not the C library itself (the check links
# only those the machine lacks), nlohmann/json.hpp (to build the training core there against
# that machine's libtorch), packed in rlab.tar.xz, and the Fashion-MNIST files beside it. Prints
# the sizes and whether the bundle and the repository's working tree together stay within
# LIMIT_MIB (default 64: what travels to the GPU machine).
#
# Usage: scripts/gpu-bundle.sh [--rlab BIN] [--out DIR] [--data DIR] [--limit-mib N] [--fast]
#   --rlab   the binary (default build/release/bin/rlab, else build/ci/bin/rlab)
#   --out    the bundle folder (default .gpu-bundle, ignored by git)
#   --data   Fashion-MNIST's folder (default /usr/share/datasets/fashion-mnist)
#   --fast   xz -0 instead of -6 (seconds instead of a minute; a larger archive: for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
RLAB=""
OUT=.gpu-bundle
DATA=/usr/share/datasets/fashion-mnist
LIMIT_MIB=64
XZ_LEVEL=-6
while [ $# -gt 0 ]; do
  case "$1" in
    --rlab) RLAB=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --limit-mib) LIMIT_MIB=$2; shift 2 ;;
    --fast) XZ_LEVEL=-0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "gpu-bundle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$RLAB" ]; then
  for b in build/release/bin/rlab build/ci/bin/rlab; do [ -x "$b" ] && RLAB=$b && break; done
fi
[ -n "$RLAB" ] && [ -x "$RLAB" ] || {
  echo "gpu-bundle.sh: no rlab binary (build one: cmake --preset release && cmake --build --preset release --target rlab)" >&2
  exit 4
}
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -f "$DATA/$f" ] || { echo "gpu-bundle.sh: $DATA/$f missing (Debian: dataset-fashion-mnist)" >&2; exit 4; }
done
JSON_HPP=$(echo '#include <nlohmann/json.hpp>' | c++ -x c++ -std=c++17 -M - 2>/dev/null |
  tr ' \\' '\n\n' | grep -m1 'nlohmann/json.hpp$' || true)
[ -n "$JSON_HPP" ] || { echo "gpu-bundle.sh: nlohmann/json.hpp not found (Debian: nlohmann-json3-dev)" >&2; exit 4; }

rm -rf "$OUT"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/include" "$OUT/data/fashion-mnist"
objcopy --strip-debug "$RLAB" "$STAGE/bin/rlab"
# The C library and its loader stay the machine's own (a GPU driver's libraries need them);
# everything else rlab links is copied, libstdc++ and libgcc_s included as a fallback for a
# machine whose copies are older than this build's.
ldd "$RLAB" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$STAGE/lib/" ;;
  esac
done
cp -r "$(dirname "$JSON_HPP")" "$STAGE/include/"
# xz: ICU's data alone is 30 MiB uncompressed; the archive is about a third of the files.
RAW_B=$(du -sb "$STAGE" | cut -f1)
tar -C "$STAGE" -cf - bin lib include | xz "$XZ_LEVEL" -T0 > "$OUT/rlab.tar.xz"
cp "$DATA"/*-ubyte.gz "$OUT/data/fashion-mnist/"

mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
BUNDLE_B=$(du -sb "$OUT" | cut -f1)
# What travels besides the bundle: tracked files and untracked files that git does not ignore.
TREE_B=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
TOTAL_B=$((BUNDLE_B + TREE_B))
{
  echo "rlab GPU bundle, made $(date -u +%Y-%m-%dT%H:%M:%SZ) from $RLAB ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "built on: $(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1)"
  echo "needs on the GPU machine: glibc >= $(ldd --version | head -1 | awk '{print $NF}')"
  echo
  echo "rlab.tar.xz holds:"
  (cd "$STAGE" && find bin lib -type f -printf '%s\t%p\n' | sort -k2)
  echo "$(du -sb "$STAGE/include" | cut -f1)	include/nlohmann/ (nlohmann/json.hpp and its parts)"
  echo
  echo "beside it:"
  (cd "$OUT" && find data -type f -printf '%s\t%p\n' | sort -k2)
} > "$OUT/MANIFEST.txt"
echo "bundle $OUT: $(mib "$BUNDLE_B") MiB: rlab.tar.xz $(mib "$(stat -c %s "$OUT/rlab.tar.xz")") (rlab $(mib "$(stat -c %s "$STAGE/bin/rlab")"), libraries $(mib "$(du -sb "$STAGE/lib" | cut -f1)"), json.hpp $(mib "$(du -sb "$STAGE/include" | cut -f1)"): $(mib "$RAW_B") MiB unpacked), data $(mib "$(du -sb "$OUT/data" | cut -f1)")"
echo "working tree that travels with it: $(mib "$TREE_B") MiB; together $(mib "$TOTAL_B") MiB (limit $LIMIT_MIB MiB)"
echo "libraries: $(ls "$STAGE/lib" | tr '\n' ' ')"
if [ "$TOTAL_B" -gt $((LIMIT_MIB * 1048576)) ]; then
  echo "gpu-bundle.sh: over the $LIMIT_MIB MiB limit" >&2
  exit 1
fi
