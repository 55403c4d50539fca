// Every frame of every capture in ../shared/corpus that the reader accepts goes through the
// decoder, which must hand back a well-formed value for each, never throw. Files the reader
// refuses are the reader's business (its own tests); here they only count as refused.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { decodeShown, type ShownPacket, type ShownDecoded } from './decode-helpers.js';
import { CORPUS, HAVE_CORPUS } from './corpus.js';

function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return captures(path);
    return /\.(pcap|pcapng)$/.test(name) ? [path] : [];
  });
}

function wellFormed(ip: ShownPacket): boolean {
  const okL4 = ip.l4.kind === 'other' || ip.l4.kind === 'tcp' || ip.l4.kind === 'udp' || ip.l4.kind === 'icmp';
  return (ip.version === 4 || ip.version === 6) && ip.src.length > 0 && ip.dst.length > 0 && okL4
    && Number.isInteger(ip.ttl) && Number.isInteger(ip.length) && (ip.payloadHash | 0) === ip.payloadHash;
}

describe.skipIf(!HAVE_CORPUS)('the whole corpus through decodeFrame', () => {
  it('gives a packet or a skip reason for every frame, without throwing', () => {
    let frames = 0;
    let packets = 0;
    const refused: string[] = [];
    const bad: string[] = [];
    for (const file of captures(CORPUS)) {
      let reader;
      try {
        reader = openCaptureFile(file);
      } catch {
        refused.push(file);
        continue;
      }
      try {
        for (let r = reader.next(); r !== null; r = reader.next()) {
          frames++;
          const d = decodeShown(r.linkType, r.data, r.origLen);
          if ('ip' in d) {
            packets++;
            if (!wellFormed(d.ip) || !Array.isArray(d.encap)) bad.push(`${file} frame ${frames}`);
          } else if (typeof d.skip !== 'string' || d.skip === '') bad.push(`${file} frame ${frames}`);
        }
      } catch (err) {
        if (!(err instanceof Error && err.name === 'CaptureFileError')) throw err;
        refused.push(file);
      } finally {
        reader.close();
      }
    }
    expect(bad).toEqual([]);
    expect(frames).toBeGreaterThanOrEqual(600);
    expect(packets).toBeGreaterThan(frames / 2);
    // The reader refuses exactly libpcap's six reject files; everything else is decoded.
    expect(refused.map((f) => f.slice(CORPUS.length + 1)).sort()).toEqual([
      'libpcap/linktype-reserved-field-not-zero.pcap', 'libpcap/pcap-invalid-version-1.pcap', 'libpcap/pcap-invalid-version-2.pcap',
      'libpcap/pcapng-invalid-vers-1.pcapng', 'libpcap/pcapng-invalid-vers-2.pcapng', 'libpcap/shb-option-too-long.pcapng',
    ]);
  });
});
