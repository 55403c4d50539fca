import type { Command } from 'commander';

/** The live commands (ping, tcp, udp, watch, path): written in issue 3. */
export function registerLiveCommands(_program: Command): void {}
