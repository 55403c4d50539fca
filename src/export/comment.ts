// The words of the annotated pcapng: a line a person reads in Wireshark's packet list, and
// the same facts as fixed key=value fields for scripts. The export is an output end like
// render/, so its sentences are made here; NAT is named by render/nat.ts's rule. Two strings
// per frame of a million-frame trace: what depends only on the hop is made once, what
// depends on the journey once per journey, and lists are not built when they are empty.
import type { Cause } from '../evidence/types.js';
import { whyLine } from '../evidence/words.js';
import type { FlowReport, Hop } from '../model.js';
import { natName } from '../render/nat.js';
import type { FieldChange, JourneyNote } from './journey-note.js';

const NONE: number[] = [];

/** Hops the packet crossed uncaptured just before reaching this step (travel order). */
function missedBefore(note: JourneyNote, step: number): number[] {
  if (note.missedAt.length === 0) return NONE;
  const here = note.steps[step].hop;
  const up = note.ascending;
  const before = step > 0 ? note.steps[step - 1].hop : up ? -1 : Number.POSITIVE_INFINITY;
  return note.missedAt.filter((m) => (up ? m > before && m < here : m < before && m > here));
}

function changeText(note: JourneyNote, changes: FieldChange[]): string {
  return changes.map((c) => `${natName({ direction: note.direction, field: c.field })} ${c.field} ${c.from} -> ${c.to}`).join(', ');
}

function changeFields(changes: FieldChange[]): string {
  let out = '';
  for (const c of changes) out += ` ${c.field}=${c.from}>${c.to}`;
  return out;
}

/** The two comments of a frame, with each hop's part of them made once per export. */
export class FrameWords {
  private readonly atHop: string[];
  private readonly since: string[];
  /** The last note asked about and its journey's part of both comments. */
  private note?: JourneyNote;
  private head = '';
  private fieldsHead = '';

  constructor(private readonly hops: Hop[]) {
    this.atHop = hops.map((h, i) => ` · hop ${i + 1} ${h.name}`);
    this.since = hops.map((h) => ` since ${h.name}`);
  }

  private journey(note: JourneyNote): void {
    if (this.note === note) return;
    this.note = note;
    this.head = `flow ${note.flowId} journey ${note.journeyId} ${note.direction}`;
    this.fieldsHead = `hoptrace: flow=${note.flowId} journey=${note.journeyId} direction=${note.direction}`;
  }

  /** "flow 1 journey 17 request · hop 4 eth0 · SNAT src 198.18.0.2 -> 203.0.113.1 since docker0" */
  comment(note: JourneyNote, step: number): string {
    this.journey(note);
    const s = note.steps[step];
    let out = this.head + this.atHop[s.hop];
    const missed = missedBefore(note, step);
    if (missed.length > 0) out += ` · not captured at ${missed.map((m) => this.hops[m].name).join(', ')}`;
    if (s.previousHop !== undefined && s.changes.length > 0) out += ` · ${changeText(note, s.changes)}${this.since[s.previousHop]}`;
    if (step === note.steps.length - 1 && note.vanishedBetween) {
      const [a, b] = note.vanishedBetween;
      out += ` · not seen at ${this.hops[b].name}: vanished between ${this.hops[a].name} and ${this.hops[b].name}`;
    } else if (step === note.steps.length - 1 && note.inFlightBetween) {
      const [a, b] = note.inFlightBetween;
      out += ` · still on its way from ${this.hops[a].name} to ${this.hops[b].name} when the capture ended`;
    }
    return out;
  }

  /** The same facts for scripts: "hoptrace: flow=1 journey=17 direction=request hop=3 step=4/4 prev_hop=2 src=198.18.0.2>203.0.113.1". Hops are 0-based interface ids. */
  fields(note: JourneyNote, step: number): string {
    this.journey(note);
    const s = note.steps[step];
    let out = `${this.fieldsHead} hop=${s.hop} step=${step + 1}/${note.steps.length}`;
    if (s.previousHop !== undefined) out += ` prev_hop=${s.previousHop}`;
    if (s.changes.length > 0) out += changeFields(s.changes);
    const missed = missedBefore(note, step);
    if (missed.length > 0) out += ` missed=${missed.join(',')}`;
    if (step === note.steps.length - 1 && note.vanishedBetween) out += ` vanished=${note.vanishedBetween[0]}-${note.vanishedBetween[1]}`;
    else if (step === note.steps.length - 1 && note.inFlightBetween) out += ` in_flight=${note.inFlightBetween[0]}-${note.inFlightBetween[1]}`;
    return out;
  }
}

/**
 * The cause of the flow's stop point when this vanished packet is one that stopped there (same
 * way, same two hops): then what the text report's why: line says applies to it. None when the
 * cause is not known or belongs to another stop; never a guess.
 */
export function vanishCause(flow: FlowReport, hops: Hop[], reply: boolean, between: [number, number]): Cause | undefined {
  const cause = flow.cause;
  if (!cause || cause.detail.type === 'not-known' || flow.verdict === 'ok' || !flow.dropBetween) return undefined;
  // As the causes stage reads the stop point (evidence/causes.ts): replies only when the replies were dropped.
  if ((flow.verdict === 'reply-dropped') !== reply) return undefined;
  return hops[between[0]]?.name === flow.dropBetween[0] && hops[between[1]]?.name === flow.dropBetween[1] ? cause : undefined;
}

/** A vanished packet's two comments with its cause added: the text report's why: line, and cause=<kind> in the fields. */
export function withCause(comments: readonly string[], cause: Cause): string[] {
  return comments.map((c) => (c.startsWith('hoptrace: ') ? `${c} cause=${cause.detail.type}` : `${c} · ${whyLine(cause)}`));
}
