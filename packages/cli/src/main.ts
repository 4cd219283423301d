#!/usr/bin/env node
import { PalisadeError } from '@palisade/core';
import { processIo } from './cli-io.ts';
import { runCli } from './run-cli.ts';

try {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
} catch (error) {
  if (error instanceof PalisadeError) {
    process.stderr.write(`palisade: ${error.message} [${error.code}]\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `palisade: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
