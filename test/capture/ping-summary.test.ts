// The traffic line a live ping prints on stderr when its ping ends, from ping's own summary
// (busybox and iputils word it differently), with "reply" for one and "replies" otherwise.
import { describe, expect, it } from 'vitest';
import { summarisePing } from '../../src/capture/live/traffic.js';

const busybox = (sent: number, received: number) =>
  `PING 203.0.113.2 (203.0.113.2): 56 data bytes\n\n--- 203.0.113.2 ping statistics ---\n${sent} packets transmitted, ${received} packets received, ${sent === received ? 0 : 100}% packet loss\n`;
const iputils = (sent: number, received: number) =>
  `PING 203.0.113.2 (203.0.113.2) 56(84) bytes of data.\n\n--- 203.0.113.2 ping statistics ---\n${sent} packets transmitted, ${received} received, 0% packet loss, time 1001ms\n`;

describe('the line a ping ends with', () => {
  it('counts requests sent of those asked for, and the replies, in both pings\' wording', () => {
    expect(summarisePing(busybox(1, 1), 1)).toBe('1 of 1 echo requests sent, 1 reply');
    expect(summarisePing(iputils(2, 2), 2)).toBe('2 of 2 echo requests sent, 2 replies');
    expect(summarisePing(busybox(3, 0), 5)).toBe('3 of 5 echo requests sent, 0 replies');
    expect(summarisePing(iputils(11, 1), 20)).toBe('11 of 20 echo requests sent, 1 reply');
  });

  it('without a summary, says how the ping ended in its last line', () => {
    expect(summarisePing('ping: sendto: Network unreachable\n', 1)).toBe('ping ended: ping: sendto: Network unreachable');
  });
});
