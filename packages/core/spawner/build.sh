#!/bin/sh
# Build static binaries for linux-x64 and linux-arm64 (Debian's gcc and gcc-aarch64-linux-gnu):
#
#   build.sh                       the spawn helpers that ship in @hamelin/core, into ../prebuilt/
#   build.sh SRC.c OUT/NAME        SRC.c as OUT/NAME-linux-x64 and OUT/NAME-linux-arm64
#                                  (hamelin-conformance's probe: the root package.json)
#
# They are build outputs, never committed. The arm64 build is skipped, with one line, when its
# cross compiler is missing and CI is not set; under CI=true, or for x64, a missing compiler
# fails the build. Up to date binaries are kept (make-style: newer than this script and every
# file beside the source), so `npm test` after `npm run build` costs nothing. What it says goes
# to stderr: it runs in each package's prepack, and `npm pack --json` prints its JSON on stdout.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="${1:-$here/hamelin-spawner.c}"
outbase="${2:-$here/../prebuilt/hamelin-spawner}"
flags="-static -s -O2 -Wall -Wextra -Werror"
mkdir -p "$(dirname "$outbase")"

fresh() { # fresh BIN: it exists and is newer than this script and the source's directory
  [ -x "$1" ] && [ "$1" -nt "$0" ] || return 1
  for f in "$(dirname "$src")"/*; do [ "$1" -nt "$f" ] || return 1; done
}

build() { # build ARCH COMPILER
  bin="$outbase-linux-$1"
  if fresh "$bin"; then return 0; fi
  # shellcheck disable=SC2086 # flags is a word list
  "$2" $flags -o "$bin.tmp" "$src"
  mv -f "$bin.tmp" "$bin"
  echo "prebuilt: built $(basename "$bin") with $2" >&2
}

case "$(uname -m)" in
  x86_64) native=x64; cross_x64=gcc ;;
  aarch64) native=arm64; cross_x64=x86_64-linux-gnu-gcc ;;
  *) native=; cross_x64=x86_64-linux-gnu-gcc ;;
esac

name=$(basename "$outbase")
if [ "$native" = x64 ] || command -v "$cross_x64" >/dev/null 2>&1 || [ "${CI:-}" = true ]; then
  build x64 "$cross_x64"
else
  echo "prebuilt: skipped $name-linux-x64 ($cross_x64 not found)" >&2
fi
if [ "$native" = arm64 ]; then
  build arm64 gcc
elif command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || [ "${CI:-}" = true ]; then
  build arm64 aarch64-linux-gnu-gcc
else
  echo "prebuilt: skipped $name-linux-arm64 (aarch64-linux-gnu-gcc not found; apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2
fi
