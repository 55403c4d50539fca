import { readFileSync } from 'node:fs';

/**
 * Receive drops of an interface as the kernel counts them in the calling process's network
 * namespace: /proc/net/dev's rx "drop" (rx_dropped + rx_missed_errors) plus "fifo"
 * (rx_fifo_errors), the same sum libpcap reports as ps_ifdrop. libpcap reads it from
 * /sys/class/net/<iface>/statistics, which in a process entered with `nsenter --net` still
 * shows the namespace sysfs was mounted in (the host's own eth0, not the lab's): wrong counts.
 * Undefined when the interface is not there.
 */
export function interfaceRxDrops(iface: string, procNetDev = readProcNetDev()): number | undefined {
  for (const line of procNetDev.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== iface) continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // rx: bytes packets errs drop fifo frame compressed multicast
    if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
    return fields[3]! + fields[4]!;
  }
  return undefined;
}

function readProcNetDev(): string {
  try {
    return readFileSync('/proc/net/dev', 'utf8');
  } catch {
    return '';
  }
}
