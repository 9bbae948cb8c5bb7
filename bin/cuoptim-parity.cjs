#!/usr/bin/env node
// bin/cuoptim-parity.cjs — `npx cuoptim-parity`: the parity harness's command line (src-ts/parity/cli.ts).
"use strict";
process.exitCode = require("../dist/parity.cjs").runCli(process.argv.slice(2));
