#!/usr/bin/env node
// hamelin-conformance, as @hamelin/conformance's own bin runs it: the umbrella package carries
// every bin so that `npm install -g hamelin` puts them all on PATH.
import '@hamelin/conformance/cli';
