import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replayReport } from '../../src/pipeline/replay.js';
import type { TraceListener } from '../../src/session.js';
import { streamFlowLines } from '../../src/render/stream.js';

describe('streamed flow lines for a live trace without the UI', () => {
  it('prints a flow once per verdict it goes through, as packets settle', async () => {
    const trace = openTrace([path.join(__dirname, '..', '..', 'fixtures', 'dns-unreachable')]);
    const lines: string[] = [];
    const listeners: TraceListener[] = [];
    streamFlowLines({ subscribe: (listener) => (listeners.push(listener), () => undefined) }, (line) => lines.push(line), false);
    await replayReport(trace, { listeners });
    // The first query settles before its ICMP error does: no reply yet, then rejected.
    expect(lines).toEqual([
      'flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: no-reply (1 request, 0 replies)\n',
      'flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: rejected (1 request, 1 reply)\n',
    ]);
  });
});
