#!/usr/bin/env bash
# Prints each Windows executable's size as built and stripped (x86_64-w64-mingw32-strip,
# into a temporary copy: the built file is left as it is).
#   tests/windows/sizes.sh FILE...
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$@"; do
  x86_64-w64-mingw32-strip -o "$tmp/stripped.exe" "$f"
  awk -v n="$(basename "$f")" -v a="$(stat -c %s "$f")" -v b="$(stat -c %s "$tmp/stripped.exe")" \
    'BEGIN { printf "  %-46s %7.1f MiB  %7.1f MiB stripped\n", n, a / 1048576, b / 1048576 }'
done
