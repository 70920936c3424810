#!/usr/bin/env node
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened; should a stray handle remain, it must not keep the process up.
setTimeout(() => process.exit(code), 2000).unref();
