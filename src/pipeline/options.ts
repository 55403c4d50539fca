import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { compileFlowFilter, type FlowFilter } from '../explain/filter.js';

/** Every option's default, written once: commands show these in --help and the pipeline uses them. */
export const DEFAULTS = {
  /** How long a packet may take from one hop to the next before it counts as vanished. */
  windowMs: 500,
  /** Replay pace for the terminal UI: 0 as fast as possible. */
  speed: 0,
  /** Slots of libpcap's ring per hop (RING_PACKETS of capture/live/netns-capture.ts, held equal by a test). */
  ringPackets: 32_768,
  /** Classic pcap reader for replay: hoptrace's own; the pcap-parser package stays selectable. */
  pcapReader: 'native',
  /**
   * Worker threads reading the hop files of a replay (--threads): 0 reads them on the main
   * thread. Off by default: on the 2-core benchmark machine they cost more CPU than they save
   * (bench/replay-ratio.mjs, README benchmark table).
   */
  readThreads: 0,
  /**
   * A flow none of whose packets was seen for this long is written out and forgotten (as
   * conntrack forgets an idle UDP or ICMP flow after 30 s); a later packet starts a new flow.
   */
  flowIdleMs: 30_000,
  /** Flows held at most; past it the least recently seen are written out first (~9 KB each). */
  maxFlows: 4_000,
} as const;

/** What the pipeline needs to know besides its source. */
export interface TraceOptions {
  windowMs?: number;
  /** A pcap-filter-like expression over whole flows (see explain/filter.ts). */
  filter?: string;
}

export interface ResolvedOptions {
  windowMs: number;
  keep?: FlowFilter;
}

/** The one place options are checked: a bad value is an input error (exit 2) naming the option. */
export function resolveOptions(options: TraceOptions): ResolvedOptions {
  const windowMs = options.windowMs ?? DEFAULTS.windowMs;
  checkNumber('--window', windowMs, WINDOW_RANGE);
  return { windowMs, keep: options.filter === undefined ? undefined : compileFlowFilter(options.filter) };
}

export interface NumberRange {
  min: number;
  max: number;
  /** The minimum itself is refused (a window of 0 ms matches nothing). */
  minExcluded?: boolean;
  integer?: boolean;
}

/** Checks a number an option was given; throws an InputError that names the option. */
export function checkNumber(name: string, n: number, range: NumberRange): number {
  const low = range.minExcluded ? n > range.min : n >= range.min;
  if (!Number.isFinite(n) || !low || n > range.max || (range.integer && !Number.isInteger(n))) {
    const from = range.minExcluded ? `more than ${range.min}` : `from ${range.min}`;
    throw new InputError(`${name} must be ${range.integer ? 'a whole number' : 'a number'} ${from} to ${range.max}, not '${n}'`);
  }
  return n;
}

/** A commander argument parser for a numeric option (an empty or non-numeric value is refused too). */
export function numberOption(name: string, range: NumberRange): (value: string) => number {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (Number.isNaN(n)) throw new InputError(`${name} must be a number, not '${value}'`);
    return checkNumber(name, n, range);
  };
}

export const WINDOW_RANGE: NumberRange = { min: 0, max: 3_600_000, minExcluded: true };
export const SPEED_RANGE: NumberRange = { min: 0, max: 1_000_000 };
/** --threads: at most one per hop a trace may have (MAX_HOPS). */
export const THREADS_RANGE: NumberRange = { min: 0, max: 64, integer: true };

/** --filter's help, the same for replay and the live commands. */
export const FILTER_HELP =
  'keep only flows matching a pcap-filter-like expression: host, net, port (src/dst: the initiator\'s/responder\'s side), tcp, udp, icmp, icmp6, ip, ip6, and/or/not, parentheses';

/** A commander argument parser for --filter: a bad expression is refused before anything is opened. */
export function filterOption(text: string): string {
  compileFlowFilter(text);
  return text;
}

/** --pcapng and --html: files written beside the report, the same for replay and the live commands. */
export const PCAPNG_HELP = 'also write the trace as one pcapng for Wireshark: one interface per hop, each packet commented with its flow, journey and rewrites';
export const HTML_HELP = 'also write the report as one self-contained HTML page with a ladder diagram per flow';

/**
 * A commander argument parser for a file hoptrace writes (--pcapng, --html): refused before
 * anything is captured when its directory is missing or not writable, or it is a directory.
 */
export function outputFileOption(name: string): (value: string) => string {
  return (value: string): string => {
    if (value.trim() === '') throw new InputError(`${name} needs a file name`);
    const dir = dirname(resolve(value));
    const why = statSync(resolve(value), { throwIfNoEntry: false })?.isDirectory()
      ? 'it is a directory'
      : !statSync(dir, { throwIfNoEntry: false })?.isDirectory()
        ? `no directory ${dir}`
        : !writable(dir)
          ? `directory ${dir} is not writable`
          : undefined;
    if (why) throw new InputError(`${name}: cannot write ${value}: ${why}`);
    return value;
  };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
