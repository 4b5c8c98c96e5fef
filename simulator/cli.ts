#!/usr/bin/env node
import { main } from './cli-program';

const code = await main(process.argv, { stdout: process.stdout, stderr: process.stderr });
// A failed run ends now (nothing left to flush but one line on stderr); a finished one lets its
// output drain and exits by itself.
if (code >= 2) process.exit(code);
process.exitCode = code;
