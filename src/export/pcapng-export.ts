// `--pcapng FILE`: the whole trace as one pcapng for Wireshark. One interface per hop in
// path order (if_name the hop name), every frame in time order, and each frame of a reported
// flow annotated with its flow, journey, hop and what changed since the hop before. What is
// known only once the trace has ended (causes, the host's state, flows --filter kept late) is
// added by one copy at the end (pcapng-patches.ts), and only when there is something to add.
import { statSync } from 'node:fs';
import { Option } from '../capture/files/pcapng-blocks.js';
import {
  EpbDirection,
  PcapngFile,
  TSRESOL_NANOSECONDS,
  type BlockOption,
  interfaceDescriptionBlock,
  interfaceStatisticsBlock,
  sectionHeaderBlock,
  timestampOption,
} from '../capture/files/pcapng-writer.js';
import { hopComment, hopDescription, traceComment } from '../capture/files/pcapng-hops.js';
import type { HostEvidence } from '../evidence/host-file.js';
import { type Frame, type Hop, LinkType, type Report } from '../model.js';
import type { FramePlace, FrameTap, TraceListener } from '../session.js';
import { FrameWords, vanishCause, withCause } from './comment.js';
import { hostComments } from './host-comments.js';
import { type Completion, PatchSpool, rewriteExport } from './pcapng-patches.js';
import { type AnnotatedFrame, FrameAnnotator } from './frame-order.js';
import { hoptraceVersion } from './version.js';

export interface PcapngExportOptions {
  description?: string;
  /** Each hop's link type when known before its first frame (live captures know it). */
  linkTypes?: (number | undefined)[];
  /** --filter is set: a flow may be kept only after some of its frames were written. */
  filtered?: boolean;
}

/** Linux "cooked" headers say which way a packet went: packet type 4 is outgoing, the rest came in. */
export function captureDirection(linkType: number, d: Uint8Array, start = 0, length = d.length): number {
  let type = -1;
  if (linkType === LinkType.LINUX_SLL && length >= 2) type = (d[start] << 8) | d[start + 1];
  else if (linkType === LinkType.LINUX_SLL2 && length >= 11) type = d[start + 10];
  if (type < 0) return EpbDirection.UNKNOWN;
  return type === 4 ? EpbDirection.OUTBOUND : type <= 3 ? EpbDirection.INBOUND : EpbDirection.UNKNOWN;
}

const NO_COMMENTS: readonly string[] = [];

/** When the captures stopped, as the source's last tick says it. */
interface StopTime {
  sec: number;
  nsec: number;
}

export class PcapngExport implements FrameTap {
  private readonly file: PcapngFile;
  private readonly annotator: FrameAnnotator;
  private readonly linkTypes: (number | undefined)[];
  /** Interface id per hop and link type: a hop whose frames change link type gets a second interface of the same name. */
  private readonly ifaces = new Map<string, number>();
  private ifaceCount = 0;
  private readonly ifaceOf: number[] = [];
  private readonly ifaceLink: (number | undefined)[] = [];
  private started = false;
  private closed = false;
  private stoppedAt?: StopTime;
  /**
   * Flows --filter keeps: the trace tells listeners of those only, each as its first journey
   * settles, so before any of its frames is written. Frames of the others are written too, uncommented.
   */
  private readonly keptFlows = new Set<number>();
  private readonly words: FrameWords;
  /** Frames that may need more said once the trace has ended, noted beside the export. */
  private readonly spool: PatchSpool;
  framesWritten = 0;

  constructor(
    path: string,
    private readonly hops: Hop[],
    private readonly options: PcapngExportOptions = {},
  ) {
    this.file = new PcapngFile(path);
    this.spool = new PatchSpool(`${path}.hoptrace-${process.pid}.patches`);
    this.words = new FrameWords(hops);
    this.linkTypes = hops.map((_, i) => options.linkTypes?.[i]);
    this.annotator = new FrameAnnotator((f) => this.writeFrame(f));
  }

  /** Most frames held at once waiting for their journeys to settle. */
  get peakHeld(): number {
    return this.annotator.peakHeld;
  }

  /** A live hop's capture is open with this link type: its interface is described right even if it sees no packet. */
  linkType(hop: number, linkType: number): void {
    this.linkTypes[hop] ??= linkType;
  }

  frame(frame: Frame): void {
    this.linkTypes[frame.hop] ??= frame.linkType;
    this.annotator.frame(frame);
  }

  /** Subscribed to the trace: each settled journey of a reported flow annotates its frames. */
  readonly listener: TraceListener = (event) => {
    if (event.kind === 'journey') this.annotator.journey(event.journey);
    else if (event.kind === 'flow') this.keptFlows.add(event.flow.id);
  };

  settledBefore(oldestOpen: FramePlace | undefined): void {
    this.annotator.settledBefore(oldestOpen);
  }

  tick(tsSec: number, tsNsec: number): void {
    this.stoppedAt = { sec: tsSec, nsec: tsNsec };
  }

  end(): void {
    this.close(this.stoppedAt);
  }

  /** Writes what is still held and, with the stop time, each interface's end time. */
  close(stoppedAt?: StopTime): void {
    if (this.closed) return;
    this.annotator.end();
    this.start();
    if (stoppedAt) {
      const end: BlockOption[] = [timestampOption(Option.ISB_ENDTIME, stoppedAt.sec, stoppedAt.nsec)];
      for (let i = 0; i < this.ifaceCount; i++) this.file.append(interfaceStatisticsBlock(i, stoppedAt.sec, stoppedAt.nsec, end));
    }
    this.file.close();
    this.closed = true;
  }

  /** The section header and one interface per hop, in path order, before the first packet. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.file.append(sectionHeaderBlock(this.sectionOptions()));
    // A hop with no frame yet is described as Ethernet; its frames, if another type, get their own interface.
    this.hops.forEach((_, hop) => this.addInterface(hop, this.linkTypes[hop] ?? LinkType.ETHERNET));
  }

  private sectionOptions(): BlockOption[] {
    const shb: BlockOption[] = [[Option.SHB_USERAPPL, `hoptrace ${hoptraceVersion()}`]];
    if (this.options.description !== undefined) shb.push([Option.COMMENT, traceComment(this.options.description)]);
    return shb;
  }

  /**
   * With the final report (its causes attached) and the host's state, once the file is closed:
   * the state goes into the section header, each vanished packet whose cause is known gets it,
   * and a flow kept only late gets its comments. Returns a warning when something could not be added.
   */
  complete(report: Report, evidence: HostEvidence | undefined): string | undefined {
    this.close(this.stoppedAt);
    const path = this.file.path;
    try {
      const carried = evidence ? hostComments(evidence) : [];
      const tooLarge = evidence && carried.length === 0 ? `the host's state is too large to carry in ${path}: its replay will say the causes are not known` : undefined;
      const complete = completion(report);
      if (carried.length === 0 && !this.anyCompleted(complete)) return tooLarge;
      if (!statSync(path).isFile()) return `${path} is not a regular file: the causes and the host's state were not added to it`;
      const shb = sectionHeaderBlock([...this.sectionOptions(), ...carried.map((c): BlockOption => [Option.COMMENT, c])]);
      rewriteExport(path, shb, this.spool, complete);
      return tooLarge;
    } catch (error) {
      // The trace is over and its report stands: the file stays as it was written.
      return `could not add the causes and the host's state to ${path}: ${(error as Error).message}`;
    } finally {
      this.spool.dispose();
    }
  }

  private anyCompleted(complete: Completion): boolean {
    for (const record of this.spool.records()) if (complete(record, () => []) !== undefined) return true;
    return false;
  }

  private addInterface(hop: number, linkType: number): number {
    const h = this.hops[hop];
    const options: BlockOption[] = [
      [Option.IF_NAME, h.name],
      [Option.IF_DESCRIPTION, hopDescription(h)],
      [Option.IF_TSRESOL, Uint8Array.of(TSRESOL_NANOSECONDS)],
      [Option.COMMENT, hopComment(h)],
    ];
    this.file.append(interfaceDescriptionBlock(linkType, 0, options));
    const id = this.ifaceCount++;
    this.ifaces.set(`${hop}/${linkType}`, id);
    // The first interface of a hop is looked up by index, per frame.
    if (this.ifaceLink[hop] === undefined) {
      this.ifaceLink[hop] = linkType;
      this.ifaceOf[hop] = id;
    }
    return id;
  }

  private writeFrame(f: AnnotatedFrame): void {
    this.start();
    const iface = this.ifaceLink[f.hop] === f.linkType ? this.ifaceOf[f.hop] : this.otherInterface(f.hop, f.linkType);
    const note = f.note;
    let comments = NO_COMMENTS;
    if (note && f.step >= 0) {
      const kept = this.keptFlows.has(note.flowId);
      const vanished = f.step === note.steps.length - 1 ? note.vanishedBetween : undefined;
      const base = { offset: this.file.position, flowId: note.flowId, reply: note.direction === 'reply', ...(vanished ? { vanished } : {}) };
      if (kept) {
        comments = [this.words.comment(note, f.step), this.words.fields(note, f.step)];
        if (vanished) this.spool.add(base);
      } else if (this.options.filtered) {
        // Held back: its flow may yet be kept (--filter judges flows as they change).
        this.spool.add({ ...base, comments: [this.words.comment(note, f.step), this.words.fields(note, f.step)] });
      }
    }
    const flags = captureDirection(f.linkType, f.bytes, f.start, f.length);
    this.file.appendPacket(iface, f.tsSec, f.tsNsec, f.bytes, f.start, f.length, f.origLen, comments, flags);
    this.framesWritten++;
  }

  /** A hop's frames of a link type other than its interface's: an interface of the same name for them. */
  private otherInterface(hop: number, linkType: number): number {
    return this.ifaces.get(`${hop}/${linkType}`) ?? this.addInterface(hop, linkType);
  }
}

/** How each noted frame finally reads, from the final report: only flows it holds, causes only where they apply. */
function completion(report: Report): Completion {
  const flows = new Map(report.flows.map((f) => [f.id, f]));
  return (record, written) => {
    const flow = flows.get(record.flowId);
    if (!flow) return undefined;
    const cause = record.vanished && vanishCause(flow, report.hops, record.reply, record.vanished);
    if (record.comments) return cause ? withCause(record.comments, cause) : record.comments;
    return cause ? withCause(written(), cause) : undefined;
  };
}
