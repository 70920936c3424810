#!/usr/bin/env node
// First: it must run before anything touches the file system.
import './threadpool.js';
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened; should a stray handle remain, it must not keep the process up.
setTimeout(() => process.exit(code), 2000).unref();
