import { formatAddress } from '../addresses.js';
import type { Endpoint, FieldValue, RewriteField } from '../model.js';

// The report carries addresses, ports and ids as values; these are their words.

/** "198.18.0.2", "198.18.0.2:53" or "[2001:db8::1]:53". */
export function endpointText(endpoint: Endpoint): string {
  const addr = formatAddress(endpoint.addr);
  if (endpoint.port === undefined) return addr;
  return typeof endpoint.addr === 'bigint' ? `[${addr}]:${endpoint.port}` : `${addr}:${endpoint.port}`;
}

/** A rewritten field's value: an address for src/dst, a number for ports and ICMP ids. */
export function fieldText(field: RewriteField, value: FieldValue): string {
  return field === 'src' || field === 'dst' ? formatAddress(value) : String(value);
}
