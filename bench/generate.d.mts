// Types of generate.mjs, for the tests that build their traces with it.
export interface GeneratedTrace {
  dir: string;
  files: string[];
  /** Packets at the busiest hop. */
  packets: number;
  /** Packets in all. */
  total: number;
}
export function generateFlood(outDir: string, copies: number, spacingNs?: number): GeneratedTrace;
export function generateDroppedFlood(outDir: string, copies: number, spacingNs?: number): GeneratedTrace;
export function generateFlows(outDir: string, flows: number, spacingNs?: number): GeneratedTrace;
export function generateTrace(outDir: string, packetsPerHop: number, spacingNs?: number): GeneratedTrace;
