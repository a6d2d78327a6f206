#!/usr/bin/env node
// A committed entry point: npm links a package's bin only if the file exists at install time,
// and dist/ is built after that (by `prepare`). This file always exists; it runs the build.
import '../dist/bundle/cli.js';
