// Fixed-width text for the terminal UI: every line is cut to its column before Ink sees it,
// so nothing ever wraps, whatever the terminal width.

/** A run of text with one meaning; `tone` picks the colour (and only the colour). */
export interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

export type Tone = 'ok' | 'bad' | 'warn' | 'rewrite' | 'muted' | 'accent' | 'selected';

const ELLIPSIS = '…';

/** Cuts `text` to `width` columns, ending in an ellipsis when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return ELLIPSIS;
  return text.slice(0, width - 1) + ELLIPSIS;
}

/** Truncates then pads with spaces to exactly `width` columns. */
export function fit(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - cut.length));
}

/** Cuts a list of segments so their joined text is at most `width` columns. */
export function fitSegments(segments: Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let room = width;
  for (const segment of segments) {
    if (room <= 0) break;
    if (segment.text.length <= room) {
      out.push(segment);
      room -= segment.text.length;
      continue;
    }
    out.push({ ...segment, text: truncate(segment.text, room) });
    // An ellipsis already ends the line; nothing after it may be shown.
    room = 0;
  }
  return out;
}

/** Segments laid into columns of fixed widths: each cell truncated and padded. */
export function columns(cells: Array<{ segment: Segment; width: number }>): Segment[] {
  return cells.map(({ segment, width }) => ({ ...segment, text: fit(segment.text, width) }));
}

/** Nanoseconds as a short duration: "+0", "+41µs", "+1.2ms", "+3.04s". */
export function formatOffset(ns: number): string {
  // Negative where two namespaces' clocks disagree: shown, not hidden, since the path order is drawn regardless.
  const sign = ns < 0 ? '-' : '+';
  const us = Math.abs(ns) / 1000;
  if (Math.round(us) === 0) return '+0';
  if (us < 1000) return `${sign}${Math.round(us)}µs`;
  const ms = us / 1000;
  if (ms < 1000) return `${sign}${ms < 10 ? ms.toFixed(1) : Math.round(ms)}ms`;
  return `${sign}${(ms / 1000).toFixed(2)}s`;
}

/** Nanoseconds since the trace's first frame as seconds with millisecond precision. */
export function formatTraceTime(ns: number): string {
  return `${(ns / 1e9).toFixed(3)}s`;
}

/** Wall-clock milliseconds as m:ss (or h:mm:ss). */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
