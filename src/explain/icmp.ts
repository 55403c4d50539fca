import type { Rejection } from '../model.js';
import { formatAddress } from '../addresses.js';

// ICMP errors named once: the long name for the report (as `ping` and tcpdump users know it)
// and the short one for the TUI's 20-column timeline label.

const UNREACHABLE_V4: Record<number, [long: string, short: string]> = {
  0: ['network unreachable', 'net'],
  1: ['host unreachable', 'host'],
  2: ['protocol unreachable', 'proto'],
  3: ['port unreachable', 'port'],
  4: ['fragmentation needed', 'frag'],
  9: ['network administratively prohibited', 'net admin'],
  10: ['host administratively prohibited', 'host admin'],
  13: ['communication administratively prohibited', 'admin'],
};

const UNREACHABLE_V6: Record<number, [long: string, short: string]> = {
  0: ['no route to destination', 'route'],
  1: ['communication administratively prohibited', 'admin'],
  3: ['address unreachable', 'addr'],
  4: ['port unreachable', 'port'],
};

/** Whether this ICMP type is "destination unreachable" in its family. */
const isUnreachable = (v6: boolean, type: number): boolean => (v6 ? type === 1 : type === 3);

/** "port unreachable"-style long name of an ICMP error, with the protocol: "ICMP port unreachable". */
export function icmpErrorName(v6: boolean, type: number, code: number): string {
  if (!v6) {
    if (type === 3) return `ICMP ${UNREACHABLE_V4[code]?.[0] ?? `destination unreachable (code ${code})`}`;
    if (type === 11) return code === 0 ? 'ICMP time exceeded in transit (TTL 0)' : 'ICMP fragment reassembly time exceeded';
    if (type === 12) return 'ICMP parameter problem';
    if (type === 5) return 'ICMP redirect';
    return `ICMP error type ${type} code ${code}`;
  }
  if (type === 1) return `ICMPv6 ${UNREACHABLE_V6[code]?.[0] ?? `destination unreachable (code ${code})`}`;
  if (type === 2) return 'ICMPv6 packet too big';
  if (type === 3) return 'ICMPv6 time exceeded (hop limit 0)';
  if (type === 4) return 'ICMPv6 parameter problem';
  return `ICMPv6 error type ${type} code ${code}`;
}

/** "port", "host admin"...: the unreachable kind in a few letters, or undefined if not an unreachable. */
export function unreachableShortName(v6: boolean, type: number, code: number): string | undefined {
  if (!isUnreachable(v6, type)) return undefined;
  return (v6 ? UNREACHABLE_V6 : UNREACHABLE_V4)[code]?.[1] ?? `code ${code}`;
}

/** What answered the request instead of the responder: "ICMP port unreachable from 203.0.113.2". */
export function rejectionText(r: Rejection): string {
  return r.kind === 'tcp-reset' ? `TCP reset from ${formatAddress(r.from)}` : `${icmpErrorName(r.v6, r.type, r.code)} from ${formatAddress(r.from)}`;
}
