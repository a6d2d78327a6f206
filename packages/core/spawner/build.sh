#!/bin/sh
# Build the prebuilt spawn helpers that ship in @hamelin/core: static binaries for linux-x64 and
# linux-arm64 (Debian's gcc and gcc-aarch64-linux-gnu), into ../prebuilt/. They are build
# outputs, never committed. The arm64 build is skipped, with one line, when its cross compiler
# is missing and CI is not set; under CI=true, or for x64, a missing compiler fails the build.
# Up to date binaries are kept (make-style), so `npm test` after `npm run build` costs nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/hamelin-spawner.c"
out="$here/../prebuilt"
flags="-static -s -O2 -Wall -Wextra -Werror"
mkdir -p "$out"

build() { # build ARCH COMPILER
  bin="$out/hamelin-spawner-linux-$1"
  if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$0" ]; then return 0; fi
  # shellcheck disable=SC2086 # flags is a word list
  "$2" $flags -o "$bin.tmp" "$src"
  mv -f "$bin.tmp" "$bin"
  echo "spawner: built $(basename "$bin") with $2"
}

case "$(uname -m)" in
  x86_64) native=x64; cross_x64=gcc ;;
  aarch64) native=arm64; cross_x64=x86_64-linux-gnu-gcc ;;
  *) native=; cross_x64=x86_64-linux-gnu-gcc ;;
esac

if [ "$native" = x64 ] || command -v "$cross_x64" >/dev/null 2>&1 || [ "${CI:-}" = true ]; then
  build x64 "$cross_x64"
else
  echo "spawner: skipped linux-x64 ($cross_x64 not found)"
fi
if [ "$native" = arm64 ]; then
  build arm64 gcc
elif command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || [ "${CI:-}" = true ]; then
  build arm64 aarch64-linux-gnu-gcc
else
  echo "spawner: skipped linux-arm64 (aarch64-linux-gnu-gcc not found; apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
fi
