#!/usr/bin/env node
// The agent's own entry point: `palisade-agent [--config FILE]` is `palisade agent` without the
// rest of the CLI, and what `npm run build:agent` builds for devices (docs/deploying-the-agent.md).
import { PalisadeError } from '@palisade/core';
import { processIo } from './cli-io.ts';
import { agentCommand } from './commands/agent-command.ts';

try {
  process.exitCode = await agentCommand(process.argv.slice(2), processIo);
} catch (error) {
  process.stderr.write(
    error instanceof PalisadeError
      ? `palisade agent: ${error.message} [${error.code}]\n`
      : `palisade agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = error instanceof PalisadeError ? 2 : 1;
}
