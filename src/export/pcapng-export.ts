// `--pcapng FILE`: the whole trace as one pcapng for Wireshark. One interface per hop in
// path order (if_name the hop name), every frame in time order, and each frame of a reported
// flow annotated with its flow, journey, hop and what changed since the hop before.
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
import { type Frame, type Hop, LinkType } from '../model.js';
import type { FramePlace, FrameTap, TraceListener } from '../session.js';
import { frameComment, frameFields } from './comment.js';
import { type AnnotatedFrame, FrameAnnotator } from './frame-order.js';
import { hoptraceVersion } from './version.js';

export interface PcapngExportOptions {
  description?: string;
  /** Each hop's link type when known before its first frame (live captures know it). */
  linkTypes?: (number | undefined)[];
}

/** Linux "cooked" headers say which way a packet went: packet type 4 is outgoing, the rest came in. */
export function captureDirection(frame: Frame): number {
  const d = frame.data;
  let type = -1;
  if (frame.linkType === LinkType.LINUX_SLL && d.length >= 2) type = (d[0] << 8) | d[1];
  else if (frame.linkType === LinkType.LINUX_SLL2 && d.length >= 11) type = d[10];
  if (type < 0) return EpbDirection.UNKNOWN;
  return type === 4 ? EpbDirection.OUTBOUND : type <= 3 ? EpbDirection.INBOUND : EpbDirection.UNKNOWN;
}

const NO_COMMENTS: string[] = [];

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
  private started = false;
  private closed = false;
  private stoppedAt?: StopTime;
  framesWritten = 0;

  constructor(
    path: string,
    private readonly hops: Hop[],
    private readonly options: PcapngExportOptions = {},
  ) {
    this.file = new PcapngFile(path);
    this.linkTypes = hops.map((_, i) => options.linkTypes?.[i]);
    this.annotator = new FrameAnnotator((f) => this.writeFrame(f));
  }

  /** Most frames held at once waiting for their journeys to settle. */
  get peakHeld(): number {
    return this.annotator.peakHeld;
  }

  hopLinkType(hop: number, linkType: number): void {
    this.linkTypes[hop] ??= linkType;
  }

  frame(frame: Frame): void {
    this.linkTypes[frame.hop] ??= frame.linkType;
    this.annotator.frame(frame);
  }

  /** Subscribed to the trace: each settled journey of a reported flow annotates its frames. */
  readonly listener: TraceListener = (event) => {
    if (event.kind === 'journey') this.annotator.journey(event.journey);
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
    const shb: BlockOption[] = [[Option.SHB_USERAPPL, `hoptrace ${hoptraceVersion()}`]];
    if (this.options.description !== undefined) shb.push([Option.COMMENT, traceComment(this.options.description)]);
    this.file.append(sectionHeaderBlock(shb));
    // A hop with no frame yet is described as Ethernet; its frames, if another type, get their own interface.
    this.hops.forEach((_, hop) => this.addInterface(hop, this.linkTypes[hop] ?? LinkType.ETHERNET));
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
    return id;
  }

  private writeFrame({ frame, note, step }: AnnotatedFrame): void {
    this.start();
    const iface = this.ifaces.get(`${frame.hop}/${frame.linkType}`) ?? this.addInterface(frame.hop, frame.linkType);
    const comments = note && step !== undefined ? [frameComment(note, step, this.hops), frameFields(note, step)] : NO_COMMENTS;
    const packet = { iface, tsSec: frame.tsSec, tsNsec: frame.tsNsec, data: frame.data, origLen: frame.origLen };
    this.file.appendPacket(packet, comments, captureDirection(frame));
    this.framesWritten++;
  }
}
