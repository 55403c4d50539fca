import { Command, CommanderError } from 'commander';
import { ExitCode, FatalError } from './errors.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerLiveCommands } from './commands/live.js';

/** Builds the command line: every command registers itself from its own module. */
export function buildProgram(): Command {
  const program = new Command('hoptrace')
    .description('Trace packets hop by hop through container networks: NAT rewrites, TTL, drops.')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run hoptrace --help for usage)')
    .exitOverride();
  registerReplayCommand(program);
  registerLiveCommands(program);
  return program;
}

/** Runs the command line and returns the exit code; errors are printed here once, as one line. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    const result = await program.parseAsync(argv);
    return commandExitCode(result) ?? ExitCode.OK;
  } catch (error) {
    return reportError(error, argv.includes('--debug'));
  }
}

function commandExitCode(program: Command): number | undefined {
  const code = (program as unknown as { hoptraceExitCode?: number }).hoptraceExitCode;
  return typeof code === 'number' ? code : undefined;
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message; --help and --version end with code 0.
    return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_INPUT;
  }
  if (error instanceof FatalError) {
    process.stderr.write(`hoptrace: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hoptrace: ${error.hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`hoptrace: internal error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.BAD_INPUT;
}

/** Commands set the program's exit code through this, so main() can return it. */
export function setExitCode(command: Command, code: number): void {
  let root: Command = command;
  while (root.parent) root = root.parent;
  (root as unknown as { hoptraceExitCode?: number }).hoptraceExitCode = code;
}
