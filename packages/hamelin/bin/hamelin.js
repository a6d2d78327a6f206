#!/bin/sh
":" //; exec node --max-semi-space-size=4 "$0" "$@"
// The line above is for sh, which runs node with a V8 option (to node it is a string and a
// comment). Why the option: V8 lets the young generation grow to 2 x 16 MiB, and a burst of
// connections makes it do so and keep it resident; capped at 2 x 4 MiB, a daemon holding
// 1,000 idle clients stays 12-19 MiB smaller (hamelin-ws 110 -> 91 MiB RSS) with churn and
// echo latency unchanged (bench rows). It cannot be set from inside the process, and
// `env -S` is missing from busybox.
//
// A committed entry point: npm links a package's bin only if the file exists at install time,
// and dist/ is built after that (by `prepare`). This file always exists; it runs the build.
import '../dist/bundle/cli.js';
