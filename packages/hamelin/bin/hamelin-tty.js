#!/bin/sh
":" //; exec node --max-semi-space-size=4 "$0" "$@"
// hamelin-tty, as @hamelin/tty's own bin runs it (that file says why the V8 option): the
// umbrella package carries every bin so that `npm install -g hamelin` puts them all on PATH.
import '@hamelin/tty/cli';
