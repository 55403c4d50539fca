// Prefix membership for rule matches. node:net's BlockList does the address arithmetic for
// both families, so no hand-written IPv6 parser is needed here.
import { BlockList, isIP } from 'node:net';
import type { Family } from './types.js';

/** Whether `addr` lies in `prefix` ("198.18.0.0/24", "fd00::/8", or a bare address = /32, /128). */
export function inPrefix(addr: string, prefix: string, family: Family): boolean {
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const [net, lenText] = prefix.split('/');
  if (!net || isIP(net) !== family || isIP(addr) !== family) return false;
  const len = lenText === undefined ? (family === 4 ? 32 : 128) : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(net, len, type);
  return list.check(addr, type);
}

/** iptables prints a dotted mask for non-contiguous masks only; "/255.255.255.0" -> 24 when contiguous. */
export function maskToLength(mask: string): number | undefined {
  if (/^\d+$/.test(mask)) return Number(mask);
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}
