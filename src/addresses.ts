// Address arithmetic shared by path discovery, the correlator and the flow filter.

/** An IPv4 address as a 32-bit number, or undefined if the text is not one. */
export function ipv4Value(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether an IPv4 address lies in a CIDR ("198.18.0.0/24"; no prefix: /32); IPv6 compared as text. */
export function inCidr(addr: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const a = ipv4Value(addr);
  const n = ipv4Value(net ?? '');
  if (a === undefined || n === undefined || !(len >= 0 && len <= 32)) return addr === net;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

/** Ranges no reply from the wider network can be routed back to. */
const UNROUTABLE_V4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT
  '169.254.0.0/16', // link-local
  '198.18.0.0/15', // benchmarking: not routed on the internet either
];

export function isPrivateAddress(addr: string): boolean {
  if (ipv4Value(addr) === undefined) {
    const lower = addr.toLowerCase();
    return lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80:');
  }
  return UNROUTABLE_V4.some((cidr) => inCidr(addr, cidr));
}
