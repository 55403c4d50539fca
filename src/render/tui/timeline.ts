import type { IpPacket, Journey, RewriteField, Sighting } from '../../model.js';
import { fieldsOf, fieldValue, rewrittenFields } from '../../correlate/rewrites.js';
import { fieldText } from '../values.js';
import { unreachableShortName } from '../../explain/icmp.js';
import { formatOffset, formatTraceTime, type Segment } from './text.js';

/** What a packet did at one hop, in path-order columns. */
export type TimelineCell =
  | { kind: 'seen'; offsetNs: number; changes: FieldChange[] }
  | { kind: 'vanished' }
  | { kind: 'missed' }
  | { kind: 'none' };

export interface FieldChange {
  field: RewriteField | 'ttl';
  from: string;
  to: string;
}

export interface TimelineRow {
  journey: Journey;
  label: string;
  cells: TimelineCell[];
}

/** One journey as a row: a cell per hop in path order, whatever order the packet travelled. */
export function timelineRow(journey: Journey, hopCount: number): TimelineRow {
  const cells: TimelineCell[] = Array.from({ length: hopCount }, () => ({ kind: 'none' }));
  const ordered = inPathOrder(journey);
  const first = ordered[0];
  let previous: Sighting | undefined;
  for (const sighting of ordered) {
    if (sighting.hop < 0 || sighting.hop >= hopCount) continue;
    const changes = previous ? fieldChanges(previous.ip, sighting.ip) : [];
    cells[sighting.hop] = { kind: 'seen', offsetNs: sighting.t - (first?.t ?? sighting.t), changes };
    previous = sighting;
  }
  for (const hop of journey.missedAt ?? []) {
    if (hop >= 0 && hop < hopCount && cells[hop]!.kind === 'none') cells[hop] = { kind: 'missed' };
  }
  const lostAt = journey.vanishedBetween?.[1];
  if (lostAt !== undefined && lostAt >= 0 && lostAt < hopCount) cells[lostAt] = { kind: 'vanished' };
  return { journey, label: journeyLabel(journey), cells };
}

/**
 * The sightings in the order the path puts them, not their timestamps': hops in other
 * namespaces stamp on their own, so a reply can look as if it reached the uplink last.
 */
export function inPathOrder(journey: Journey): Sighting[] {
  if (journey.ascending === undefined) return journey.sightings;
  const sign = journey.ascending ? 1 : -1;
  return [...journey.sightings].sort((a, b) => sign * (a.hop - b.hop));
}

/** The fields a hop changed, compared with the previous hop the packet was seen at: NAT's as correlate detects them, and the TTL. */
export function fieldChanges(before: IpPacket, after: IpPacket): FieldChange[] {
  const changes: FieldChange[] = fieldsOf(rewrittenFields(before, after)).map((field) => ({
    field,
    from: fieldText(field, fieldValue(before, field)!),
    to: fieldText(field, fieldValue(after, field)!),
  }));
  if (before.ttl !== after.ttl) changes.push({ field: 'ttl', from: String(before.ttl), to: String(after.ttl) });
  return changes;
}

/** "→ 1.234s echo seq=3": direction, when it first appeared, what it is. */
export function journeyLabel(journey: Journey): string {
  const first = inPathOrder(journey)[0];
  const arrow = journey.direction === 'request' ? '→' : '←';
  if (!first) return arrow;
  return `${arrow} ${formatTraceTime(first.t)} ${packetSummary(first.ip)}`;
}

const TCP_FLAGS: Array<[number, string]> = [
  [0x02, 'S'],
  [0x10, 'A'],
  [0x01, 'F'],
  [0x04, 'R'],
  [0x08, 'P'],
];

export function packetSummary(ip: IpPacket): string {
  const l4 = ip.l4;
  switch (l4.kind) {
    case 'tcp': {
      const flags = TCP_FLAGS.filter(([bit]) => (l4.flags & bit) !== 0).map(([, name]) => name).join('');
      return `tcp [${flags || '.'}] ${l4.payloadLen}B`;
    }
    case 'udp':
      return `udp ${l4.payloadLen}B`;
    case 'icmp':
      return icmpSummary(l4.v6, l4.type, l4.code, l4.seq);
    default:
      return `proto ${l4.proto}`;
  }
}

function icmpSummary(v6: boolean, type: number, code: number, seq: number | undefined): string {
  const seqText = seq === undefined ? '' : ` #${seq}`;
  if ((!v6 && type === 8) || (v6 && type === 128)) return `echo${seqText}`;
  if ((!v6 && type === 0) || (v6 && type === 129)) return `reply${seqText}`;
  const unreachable = unreachableShortName(v6, type, code);
  if (unreachable !== undefined) return `${unreachable} unreach`;
  if ((!v6 && type === 11) || (v6 && type === 3)) return 'ttl exceeded';
  return `icmp type ${type} code ${code}`;
}

/**
 * A cell as text for a column of `width`: a mark, the time since the packet's first hop, and
 * the fields this hop changed, spelled out when they fit and named with a "*" when not.
 */
export function cellSegments(cell: TimelineCell, width: number): Segment[] {
  switch (cell.kind) {
    case 'none':
      return [{ text: '·', tone: 'muted' }];
    case 'missed':
      return [{ text: '? not captured', tone: 'warn' }];
    case 'vanished':
      return [{ text: '✗ vanished', tone: 'bad', bold: true }];
    case 'seen':
      return seenSegments(cell.offsetNs, cell.changes, width);
  }
}

function seenSegments(offsetNs: number, changes: FieldChange[], width: number): Segment[] {
  const segments: Segment[] = [{ text: `● ${formatOffset(offsetNs)}`, tone: 'ok' }];
  let used = segments[0]!.text.length;
  // Address, port and id rewrites before TTL: a routing hop's TTL step is expected, NAT is news.
  const ordered = [...changes].sort((a, b) => Number(a.field === 'ttl') - Number(b.field === 'ttl'));
  const long = ordered.map((c) => ` ${c.field} ${c.to}`);
  // Decided as if the offset were as long as they get ("+999µs"), so a column's rows agree.
  const allLong = Math.max(used, 9) + long.join('').length <= width;
  ordered.forEach((change, i) => {
    const text = allLong ? long[i]! : ` ${SHORT_NAMES[change.field]}*`;
    if (used + text.length > width) return;
    const nat = change.field !== 'ttl';
    segments.push({ text, tone: nat ? 'rewrite' : 'muted', bold: nat });
    used += text.length;
  });
  // Even when no name fits, the cell must still say that this hop changed something.
  if (segments.length === 1 && changes.length > 0 && used + 2 <= width) segments.push({ text: ' *', tone: 'rewrite', bold: true });
  return segments;
}

const SHORT_NAMES: Record<FieldChange['field'], string> = {
  src: 'src',
  dst: 'dst',
  sport: 'sport',
  dport: 'dport',
  'icmp-id': 'id',
  ttl: 'ttl',
};
