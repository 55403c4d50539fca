import { Command, Option } from 'commander';
import type { CommandOutcome } from './outcome.js';
import { numberOption } from '../pipeline/options.js';

/** `hoptrace doctor <container> [destination]`; Docker and the probes load only when it runs. */
export function registerDoctorCommand(program: Command, outcome: CommandOutcome): void {
  program
    .command('doctor')
    .description("why can't my container reach the outside: checks its default route and resolver, then an ICMP echo, a TCP connect and a DNS query, and names the cause of each failure")
    .argument('<container>', 'container name or id')
    .argument('[destination]', 'address to probe (default 1.1.1.1)')
    .addOption(new Option('--port <port>', 'TCP port of the connect probe').default(80).argParser(numberOption('--port', { min: 1, max: 65535, integer: true })))
    .option('--name <name>', 'name the DNS probe asks the container\'s resolver for', 'example.com')
    .option('--json', 'print one JSON document')
    .action(async (container: string, destination: string | undefined, flags: { port: number; name: string; json?: boolean }) => {
      const { requireCaptureRights } = await import('../capture/live/privilege.js');
      requireCaptureRights(['hoptrace', ...process.argv.slice(2)].join(' '));
      const { doctorCommand, DEFAULT_DESTINATION } = await import('./doctor.js');
      outcome.code = await doctorCommand(container, destination ?? DEFAULT_DESTINATION, flags);
    });
}
