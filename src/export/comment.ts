// The words of the annotated pcapng: a line a person reads in Wireshark's packet list, and
// the same facts as fixed key=value fields for scripts. The export is an output end like
// render/, so its sentences are made here; NAT is named by render/nat.ts's rule.
import type { Hop } from '../model.js';
import { natName } from '../render/nat.js';
import type { FieldChange, JourneyNote } from './journey-note.js';

/** Hops the packet crossed uncaptured just before reaching this step (travel order). */
function missedBefore(note: JourneyNote, step: number): number[] {
  const here = note.steps[step].hop;
  const up = note.ascending;
  const before = step > 0 ? note.steps[step - 1].hop : up ? -1 : Number.POSITIVE_INFINITY;
  return note.missedAt.filter((m) => (up ? m > before && m < here : m < before && m > here));
}

function changeText(note: JourneyNote, changes: FieldChange[]): string {
  return changes.map((c) => `${natName({ direction: note.direction, field: c.field })} ${c.field} ${c.from} -> ${c.to}`).join(', ');
}

/** "flow 1 journey 17 request · hop 4 eth0 · SNAT src 198.18.0.2 -> 203.0.113.1 since docker0" */
export function frameComment(note: JourneyNote, step: number, hops: Hop[]): string {
  const s = note.steps[step];
  const parts = [`flow ${note.flowId} journey ${note.journeyId} ${note.direction}`, `hop ${s.hop + 1} ${hops[s.hop].name}`];
  const missed = missedBefore(note, step);
  if (missed.length > 0) parts.push(`not captured at ${missed.map((m) => hops[m].name).join(', ')}`);
  if (s.previousHop !== undefined && s.changes.length > 0) {
    parts.push(`${changeText(note, s.changes)} since ${hops[s.previousHop].name}`);
  }
  if (step === note.steps.length - 1 && note.vanishedBetween) {
    const [a, b] = note.vanishedBetween;
    parts.push(`not seen at ${hops[b].name}: vanished between ${hops[a].name} and ${hops[b].name}`);
  }
  return parts.join(' · ');
}

/** The same facts for scripts: "hoptrace: flow=1 journey=17 direction=request hop=3 step=4/4 prev_hop=2 src=198.18.0.2>203.0.113.1". Hops are 0-based interface ids. */
export function frameFields(note: JourneyNote, step: number): string {
  const s = note.steps[step];
  const fields = [`flow=${note.flowId}`, `journey=${note.journeyId}`, `direction=${note.direction}`, `hop=${s.hop}`, `step=${step + 1}/${note.steps.length}`];
  if (s.previousHop !== undefined) fields.push(`prev_hop=${s.previousHop}`);
  for (const c of s.changes) fields.push(`${c.field}=${c.from}>${c.to}`);
  const missed = missedBefore(note, step);
  if (missed.length > 0) fields.push(`missed=${missed.join(',')}`);
  if (step === note.steps.length - 1 && note.vanishedBetween) fields.push(`vanished=${note.vanishedBetween[0]}-${note.vanishedBetween[1]}`);
  return `hoptrace: ${fields.join(' ')}`;
}
