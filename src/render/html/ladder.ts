// One flow's ladder diagram as inline SVG: a vertical line per hop in path order (hops of
// one namespace grouped under its name, and on a multi-host trace the namespaces of one host under
// its name), time running down, each packet an arrow from hop to
// hop. Meaning is carried by shape and words, so it survives black-and-white printing:
// requests are solid arrows with filled heads, replies dashed with open heads, a rewrite is
// written on the arrow where it happened, a vanished packet ends in a cross, one still on its
// way when the capture ended in an open diamond, each with its words.
import type { Direction, Hop } from '../../model.js';
import type { JourneyNote, JourneyStep } from '../../export/journey-note.js';
import { natName } from '../nat.js';
import { esc } from './escape.js';
import type { FlowLadder } from './ladder-collector.js';

const LEFT = 190;
const GAP = 210;
const TOP = 86;
const ROW = 54;
const SLOPE = 22;
const HOST_TIER = 24;

interface Frame {
  hops: Hop[];
  x: (hop: number) => number;
  width: number;
}

/** Seconds since the trace's first frame, to the microsecond. */
function seconds(ns: number): string {
  return `+${(ns / 1e9).toFixed(6)} s`;
}

/** Brackets over runs of consecutive hops sharing `key`, each named by `label` (nothing where it is undefined). */
function brackets(f: Frame, key: (hop: Hop) => string | undefined, label: (hop: Hop) => string | undefined, kind: { path: string; text: string }): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i <= f.hops.length; i++) {
    if (i < f.hops.length && key(f.hops[i]) === key(f.hops[start])) continue;
    const name = label(f.hops[start]);
    if (name !== undefined) {
      const x1 = f.x(start) - 60;
      const x2 = f.x(i - 1) + 60;
      out.push(`<path ${kind.path} d="M${x1} 26 V18 H${x2} V26"/>`, `<text ${kind.text} x="${(x1 + x2) / 2}" y="13">${esc(name)}</text>`);
    }
    start = i;
  }
  return out;
}

const NETNS_BRACKET = { path: 'class="group"', text: 'class="group-name"' };
// Drawn bolder than a namespace's by presentation attributes, so a single-host page keeps its style sheet.
const HOST_BRACKET = { path: 'class="group host-group" stroke-width="1.5"', text: 'class="group-name host-group-name" font-weight="bold"' };

/** Above the namespaces of a multi-host trace: one bracket per host, named. */
function hostBrackets(f: Frame): string[] {
  return brackets(f, (hop) => hop.host, (hop) => (hop.host === undefined ? undefined : `host ${hop.host}`), HOST_BRACKET);
}

function header(f: Frame, bottom: number): string[] {
  // Consecutive hops in one namespace (of one host) share a bracket with its name.
  const out = brackets(f, (hop) => (hop.netns === undefined ? undefined : `${hop.host ?? ''}\u0000${hop.netns}`), (hop) => hop.netns, NETNS_BRACKET);
  f.hops.forEach((hop, i) => {
    const x = f.x(i);
    if (hop.role === 'tunnel') {
      const x1 = i > 0 ? f.x(i - 1) : x - 40;
      const x2 = i < f.hops.length - 1 ? f.x(i + 1) : x + 40;
      out.push(`<rect class="tunnel" x="${x1}" y="${TOP - 14}" width="${x2 - x1}" height="${bottom - TOP + 14}"/>`);
      out.push(`<text class="tunnel-name" x="${x}" y="${bottom + 14}">tunnel</text>`);
    }
    out.push(`<text class="hop-name" x="${x}" y="46">${esc(`${i + 1}. ${hop.name}`)}</text>`);
    out.push(`<text class="hop-role" x="${x}" y="62">${esc(hop.role)}</text>`);
    out.push(`<line class="hop-line" x1="${x}" y1="${TOP - 12}" x2="${x}" y2="${bottom}"/>`);
  });
  return out;
}

function changeLines(note: JourneyNote, step: JourneyStep): string[] {
  return step.changes.map(
    (c) => `${natName({ direction: note.direction, field: c.field })} ${c.field} ${c.from} -> ${c.to}`,
  );
}

function arrowClass(direction: Direction): string {
  return direction === 'request' ? 'request' : 'reply';
}

/** The y of a point on the journey's slope: further along the travel, further down. */
function slopeY(f: Frame, note: JourneyNote, top: number, hop: number): number {
  const last = f.hops.length - 1 || 1;
  const along = note.ascending ? hop / last : (last - hop) / last;
  return top + along * SLOPE;
}

function journeyRow(f: Frame, note: JourneyNote, top: number): string[] {
  const cls = arrowClass(note.direction);
  const out = [`<g class="journey ${cls}">`];
  const first = note.steps[0];
  // The glyph points the way the packet went along the path; the word says which side sent it.
  const label = `${note.ascending ? '→' : '←'} ${note.direction} (journey ${note.journeyId})`;
  out.push(`<text class="when" x="8" y="${top + 4}">${esc(seconds(first.t))}</text>`, `<text class="what" x="8" y="${top + 18}">${esc(label)}</text>`);
  for (const step of note.steps.slice(1)) {
    const from = step.previousHop as number;
    const [x1, y1, x2, y2] = [f.x(from), slopeY(f, note, top, from), f.x(step.hop), slopeY(f, note, top, step.hop)];
    out.push(`<line class="arrow" x1="${x1}" y1="${y1}" x2="${x2 - Math.sign(x2 - x1) * 4}" y2="${y2}" marker-end="url(#head-${cls})"/>`);
    changeLines(note, step).forEach((text, k) => {
      out.push(`<text class="rewrite" x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 8 - k * 13}">${esc(text)}</text>`);
    });
  }
  for (const s of note.steps) out.push(`<circle class="seen" cx="${f.x(s.hop)}" cy="${slopeY(f, note, top, s.hop)}" r="3.5"/>`);
  for (const hop of note.missedAt) {
    out.push(`<circle class="missed" cx="${f.x(hop)}" cy="${slopeY(f, note, top, hop)}" r="5"><title>not captured at ${esc(f.hops[hop].name)}</title></circle>`);
  }
  if (note.vanishedBetween) out.push(...vanishMark(f, note, top));
  else if (note.inFlightBetween) out.push(...inFlightMark(f, note, top, note.inFlightBetween));
  out.push('</g>');
  return out;
}

/** From where the journey was last seen at hop a to half way to hop b, on its slope. */
function halfWay(f: Frame, note: JourneyNote, top: number, a: number, b: number): { x1: number; y1: number; x2: number; y2: number } {
  const y1 = slopeY(f, note, top, a);
  return { x1: f.x(a), y1, x2: (f.x(a) + f.x(b)) / 2, y2: (y1 + slopeY(f, note, top, b)) / 2 };
}

function vanishMark(f: Frame, note: JourneyNote, top: number): string[] {
  const [a, b] = note.vanishedBetween as [number, number];
  const { x1, y1, x2, y2 } = halfWay(f, note, top, a, b);
  const s = 6;
  return [
    `<line class="arrow" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`,
    `<path class="cross" d="M${x2 - s} ${y2 - s} L${x2 + s} ${y2 + s} M${x2 - s} ${y2 + s} L${x2 + s} ${y2 - s}"/>`,
    `<text class="vanished" x="${x2}" y="${y2 + 18}">vanished between ${esc(f.hops[a].name)} and ${esc(f.hops[b].name)}</text>`,
  ];
}

/** Half way to the next hop, where the capture's end found it: an open diamond, not a cross. */
function inFlightMark(f: Frame, note: JourneyNote, top: number, [a, b]: [number, number]): string[] {
  const { x1, y1, x2, y2 } = halfWay(f, note, top, a, b);
  const s = 7;
  return [
    `<line class="arrow in-flight-line" x1="${x1}" y1="${y1}" x2="${x2 - Math.sign(x2 - x1) * s}" y2="${y2}"/>`,
    `<path class="in-flight-mark" d="M${x2 - s} ${y2} L${x2} ${y2 - s} L${x2 + s} ${y2} L${x2} ${y2 + s} Z"/>`,
    `<text class="in-flight" x="${x2}" y="${y2 + 20}">still on its way from ${esc(f.hops[a].name)} to ${esc(f.hops[b].name)} when the capture ended</text>`,
  ];
}

function gapRow(f: Frame, ladder: FlowLadder, top: number): string[] {
  const { request, reply } = ladder.skipped;
  const text = `… ${request + reply} more packets not drawn (${request} request${request === 1 ? '' : 's'}, ${reply} repl${reply === 1 ? 'y' : 'ies'}) …`;
  const zig = Array.from({ length: Math.ceil(f.width / 20) }, (_, i) => `L${i * 20 + 10} ${top + (i % 2 ? 4 : 12)}`).join(' ');
  return [`<path class="gap" d="M0 ${top + 8} ${zig}"/>`, `<text class="gap-text" x="${f.width / 2}" y="${top + 30}">${esc(text)}</text>`];
}

const DEFS = `<defs>
<marker id="head-request" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="head-request"/></marker>
<marker id="head-reply" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10" class="head-reply"/></marker>
</defs>`;

/** The ladder of one flow, or a sentence when none of its journeys was kept. */
export function renderLadder(hops: Hop[], ladder: FlowLadder): string {
  const width = LEFT + Math.max(0, hops.length - 1) * GAP + 140;
  const f: Frame = { hops, x: (hop) => LEFT + hop * GAP, width };
  const rows: string[] = [];
  let y = TOP + 10;
  // Labels of several rewrites stack upwards from their arrow: room is made above the row.
  const room = (note: JourneyNote) => 13 * Math.max(0, ...note.steps.map((s) => s.changes.length - 1));
  for (const note of ladder.first) {
    y += room(note);
    rows.push(...journeyRow(f, note, y));
    y += ROW;
  }
  if (ladder.skipped.request + ladder.skipped.reply > 0) {
    rows.push(...gapRow(f, ladder, y));
    y += ROW;
  }
  for (const note of ladder.last) {
    y += room(note);
    rows.push(...journeyRow(f, note, y));
    y += ROW;
  }
  // A multi-host trace gets a tier of host brackets above everything else.
  const tier = hops.some((h) => h.host !== undefined) ? HOST_TIER : 0;
  const height = y + 24 + tier;
  const title = `ladder diagram of flow ${ladder.flowId}: hops left to right in path order, time downwards`;
  return [
    `<svg class="ladder" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${esc(title)}</title>`,
    DEFS,
    ...(tier ? [...hostBrackets(f), `<g transform="translate(0 ${tier})">`] : []),
    ...header(f, height - tier - 16),
    ...rows,
    ...(tier ? ['</g>'] : []),
    '</svg>',
  ].join('\n');
}
