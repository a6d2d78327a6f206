#!/bin/sh
# The static binaries that ship prebuilt (linux-x64 and linux-arm64): @hamelin/core's spawn
# helper and hamelin-conformance's probe. Run by npm run build and npm test; each package's
# prepack builds its own. Up to date binaries are kept.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/packages/core/spawner/build.sh"
"$root/packages/core/spawner/build.sh" "$root/packages/conformance/probe/hamelin-probe.c" "$root/packages/conformance/prebuilt/hamelin-probe"
