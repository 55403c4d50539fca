import { describe, expect, it } from 'vitest';
import { interfaceRxDrops } from '../../src/capture/live/iface-drops.js';

const PROC_NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0: 9051142   10231    4   17    3     0          0         0  802011    7012    0   99    0     0       0          0
vethab12: 100 2 0 5 0 0 0 0 100 2 0 0 0 0 0 0
`;

describe('an interface receive drops from /proc/net/dev', () => {
  it('adds rx drop and rx fifo, never the transmit side', () => {
    expect(interfaceRxDrops('eth0', PROC_NET_DEV)).toBe(20);
    expect(interfaceRxDrops('vethab12', PROC_NET_DEV)).toBe(5);
    expect(interfaceRxDrops('lo', PROC_NET_DEV)).toBe(0);
  });

  it('knows no interface that is not listed, nor one whose name only starts the same', () => {
    expect(interfaceRxDrops('eth', PROC_NET_DEV)).toBeUndefined();
    expect(interfaceRxDrops('docker0', PROC_NET_DEV)).toBeUndefined();
    expect(interfaceRxDrops('eth0', '  eth0: 1 2 x\n')).toBeUndefined();
  });
});
