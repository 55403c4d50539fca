import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { ExitCode, FatalError } from './errors.js';
import { newOutcome, type CommandOutcome } from './commands/outcome.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerLiveCommands } from './commands/live.js';
import { registerDoctorCommand } from './commands/doctor-command.js';
import { watchStdout } from './render/stdout.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the command line: every command registers itself from its own module. */
export function buildProgram(outcome: CommandOutcome = newOutcome()): Command {
  const program = new Command('hoptrace')
    .description('Trace packets hop by hop through container networks: NAT rewrites, TTL, drops.')
    .version(version)
    .option('--debug', 'print stack traces of errors, and on a live command when each capture helper started and each hop began capturing')
    // Usage errors are printed once, as one line, by reportError below.
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  registerReplayCommand(program, outcome);
  registerLiveCommands(program, outcome);
  registerDoctorCommand(program, outcome);
  return program;
}

/** Runs the command line and returns the exit code; errors are printed here once, as one line. */
export async function main(argv: string[]): Promise<number> {
  const outcome = newOutcome();
  const stdout = watchStdout(process.stdout);
  let code: number;
  try {
    await buildProgram(outcome).parseAsync(argv);
    code = outcome.code;
  } catch (error) {
    code = reportError(error, argv.includes('--debug'));
  }
  return stdout.settle(code);
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // --help and --version end with code 0 (commander printed them); a usage error is one line.
    if (error.exitCode === 0) return ExitCode.OK;
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`hoptrace: ${message} (hoptrace --help for usage)\n`);
    return ExitCode.BAD_INPUT;
  }
  if (error instanceof FatalError) {
    process.stderr.write(`hoptrace: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`hoptrace: internal error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.BAD_INPUT;
}
