import { describe, expect, it } from 'vitest';
import { decodeShown } from './decode-helpers.js';
import { bytes, ethernet, icmpEcho, icmpError, ipv4, ipv6, ipv6Fragment, ipv6Options, linuxSll2, tcp, udp, vxlan, ACK } from './builders.js';

const LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276];

const samples = [
  ethernet(0x0800, ipv4({ proto: 6, options: [1, 1, 1, 0] }, tcp({ sport: 1, dport: 2, flags: ACK, options: [1, 1, 1, 0] }, bytes(20))), [{ id: 9 }]),
  ethernet(0x86dd, ipv6({ next: 0 }, ipv6Options(44, [], ipv6Fragment(17, 0, true, 5, udp({ sport: 1, dport: 4789 }, vxlan(3, ethernet(0x0800, ipv4({ proto: 1 }, icmpEcho(8, 1, 1, bytes(16)))))))))),
  ethernet(0x0800, ipv4({ proto: 1 }, icmpError(11, 0, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2 })).subarray(0, 28)))),
  ethernet(0x86dd, ipv6({ next: 58 }, icmpError(1, 4, ipv6({ next: 60 }, ipv6Options(6, [], tcp({ sport: 1, dport: 2 })))))),
  linuxSll2(0x0800, 3, ipv4({ proto: 17 }, udp({ sport: 9, dport: 8472 }, vxlan(1, ethernet(0x86dd, ipv6({ next: 59 }, new Uint8Array())))))),
];

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function noise(seed: number, n: number): Uint8Array {
  let x = seed || 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

function check(linkType: number, data: Uint8Array, origLen: number): void {
  const d = decodeShown(linkType, data, origLen);
  if ('skip' in d) expect(typeof d.skip).toBe('string');
  else expect(typeof d.ip.src === 'string' && typeof d.ip.dst === 'string' && Number.isFinite(d.ip.payloadHash)).toBe(true);
}

describe('decodeFrame returns a value for any bytes', () => {
  it('every prefix of layered frames, with origLen equal to and beyond the cut, on every link type', () => {
    for (const frame of samples) {
      for (let cut = 0; cut <= frame.length; cut++) {
        for (const lt of LINK_TYPES) {
          const data = frame.subarray(0, cut);
          check(lt, data, cut);
          check(lt, data, frame.length);
        }
      }
    }
  });

  it('the same frames with each byte set to 0x00, 0xff and flipped', () => {
    for (const frame of samples) {
      for (let i = 0; i < frame.length; i++) {
        for (const v of [0x00, 0xff, frame[i] ^ 0xff]) {
          const bent = frame.slice();
          bent[i] = v;
          check(1, bent, bent.length);
          check(276, bent, bent.length);
        }
      }
    }
  });

  it('random bytes behind IPv4, IPv6 and every link type', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const junk = noise(seed, seed % 160);
      for (const lt of LINK_TYPES) check(lt, junk, junk.length);
      const v4 = ethernet(0x0800, Uint8Array.from([0x45, ...junk]));
      const v6 = ethernet(0x86dd, Uint8Array.from([0x60, ...junk]));
      check(1, v4, v4.length);
      check(1, v6, v6.length);
    }
  });

  it('an origLen smaller than the captured bytes is treated as the captured length', () => {
    expect(decodeShown(1, samples[0], 10)).toMatchObject({ ip: { truncated: undefined } });
  });
});
