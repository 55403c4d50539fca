import { memo } from 'react';
import { Box } from 'ink';
import type { Hop } from '../../model.js';
import type { HopStatus } from '../../session.js';
import { Line } from './Line.js';
import { fit, type Segment } from './text.js';
import type { Theme } from './theme.js';

interface HopChainProps {
  hops: Hop[];
  status: HopStatus[];
  missed: number[];
  width: number;
  theme: Theme;
}

const ARROW = ' → ';

/**
 * The path across the top, three lines: "1 c1 eth0 → 2 veth…", then each hop's interface and
 * address, then its packet count and what went wrong with its capture, if anything.
 */
export const HopChain = memo(function HopChain({ hops, status, missed, width, theme }: HopChainProps) {
  if (hops.length === 0) return <Line segments={[{ text: 'no hops', tone: 'muted' }]} width={width} theme={theme} />;
  const column = Math.max(8, Math.floor((width - ARROW.length * (hops.length - 1)) / hops.length));
  const fitting = Math.max(1, Math.min(hops.length, Math.floor((width + ARROW.length) / (column + ARROW.length))));
  const shown = hops.slice(0, fitting);
  const more = hops.length - fitting;
  const names: Segment[] = [];
  const places: Segment[] = [];
  const counts: Segment[] = [];
  shown.forEach((hop, i) => {
    const last = i === shown.length - 1;
    const gap = last ? '' : ' '.repeat(ARROW.length);
    names.push({ text: fit(`${i + 1} ${hop.name}`, column), tone: 'accent', bold: true });
    if (!last) names.push({ text: ARROW, tone: 'muted' });
    places.push({ text: fit(hopPlace(hop, column), column) + gap, tone: 'muted' });
    counts.push(...hopHealth(status[i], missed[i] ?? 0, column), { text: gap });
  });
  if (more > 0) names.push({ text: ` +${more} more`, tone: 'muted' });
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Line segments={names} width={width} theme={theme} />
      <Line segments={places} width={width} theme={theme} />
      <Line segments={counts} width={width} theme={theme} />
    </Box>
  );
});

/** Interface and address; where both do not fit, the label goes and the address stays whole. */
export function hopPlace(hop: Hop, column: number): string {
  const addr = hop.addrs[0];
  const full = [hop.iface, addr].filter(Boolean).join(' ') || hop.role;
  if (full.length <= column || !addr) return full;
  return addr.length <= column ? addr : addr.replace(/\/\d+$/, '');
}

/** "42 pkts", then "! <problem>" or "? 3 not captured", padded to the column. */
function hopHealth(status: HopStatus | undefined, missed: number, column: number): Segment[] {
  const count = `${status?.packets ?? 0} pkts`;
  let mark: Segment | undefined;
  if (status?.problem) mark = { text: ` ! ${status.problem}`, tone: 'bad', bold: true };
  else if (missed > 0) mark = { text: ` ? ${missed} not captured`, tone: 'warn' };
  if (!mark || count.length + 2 >= column) return [{ text: fit(count, column) }];
  const room = Math.max(0, column - count.length);
  return [{ text: count }, { ...mark, text: fit(mark.text, room) }];
}
