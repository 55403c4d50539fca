import { describe, expect, it } from 'vitest';
import { encodeMessage, encodePacket, RecordType, WireReader } from '../../src/capture/live/wire.js';

describe('the helper stream', () => {
  it('gives back packets, ready and problem records however the pipe splits the bytes', () => {
    const bytes = Buffer.concat([
      encodeMessage(RecordType.READY, 2, JSON.stringify({ linkType: 1, iface: 'docker0', precision: 'nano' })),
      encodePacket(2, 1795461640, 878663729, 98, new Uint8Array([1, 2, 3, 4])),
      encodeMessage(RecordType.STATS, 2, JSON.stringify({ received: 7, dropped: 2, ifDropped: 1, captured: 5, final: true })),
      encodeMessage(RecordType.PROBLEM, 2, 'docker0: No such device exists'),
    ]);
    for (const cut of [1, 3, 7, 20, bytes.length - 1]) {
      const reader = new WireReader();
      const records = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      expect(records).toEqual([
        { type: 'ready', hop: 2, linkType: 1, iface: 'docker0', precision: 'nano' },
        { type: 'packet', hop: 2, tsSec: 1795461640, tsNsec: 878663729, origLen: 98, data: new Uint8Array([1, 2, 3, 4]) },
        { type: 'stats', hop: 2, counters: { received: 7, dropped: 2, ifDropped: 1, captured: 5, final: true } },
        { type: 'problem', hop: 2, message: 'docker0: No such device exists' },
      ]);
      expect(reader.leftover).toBe(0);
    }
  });

  it('reports a stream that lost its framing once, instead of reading garbage', () => {
    const reader = new WireReader();
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(0x7fffffff, 0);
    expect(reader.push(bad)).toEqual([{ type: 'corrupt', message: 'helper stream: record length 2147483647 at offset 0 is impossible' }]);
    expect(reader.push(encodePacket(0, 1, 2, 3, new Uint8Array(3)))).toEqual([]);
  });

  it('refuses a ready record without a timestamp precision and stats with a counter missing or negative', () => {
    const reader = new WireReader();
    expect(reader.push(encodeMessage(RecordType.READY, 0, JSON.stringify({ linkType: 1, iface: 'eth0' })))).toEqual([
      { type: 'corrupt', message: 'helper stream: unreadable ready record "{\\"linkType\\":1,\\"iface\\":\\"eth0\\"}"' },
    ]);
    for (const body of [{ received: 1, dropped: 0, captured: 1, final: false }, { received: 1, dropped: -1, ifDropped: 0, captured: 1, final: false }]) {
      expect(new WireReader().push(encodeMessage(RecordType.STATS, 0, JSON.stringify(body)))).toEqual([
        { type: 'corrupt', message: `helper stream: unreadable stats record ${JSON.stringify(JSON.stringify(body))}` },
      ]);
    }
  });

  it('keeps a record cut by the end of the stream as leftover bytes', () => {
    const reader = new WireReader();
    const packet = encodePacket(1, 5, 6, 60, new Uint8Array(60));
    expect(reader.push(packet.subarray(0, 30))).toEqual([]);
    expect(reader.leftover).toBe(30);
  });
});
