#!/usr/bin/env node
// First: it must run before anything touches the file system.
import './threadpool.js';
import { runCli } from './program.js';

// `crilog logs … | head` closes the pipe early: that is the reader being done, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened; should a stray handle remain, it must not keep the process up.
setTimeout(() => process.exit(code), 2000).unref();
