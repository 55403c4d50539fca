// One capture file holding several hops: a pcapng file with several named interfaces (as
// mergecap or dumpcap write), or a LINUX_SLL2 capture (`tcpdump -i any`) whose records say
// which interface they crossed. Finding the hops takes one pass over the file.
import { CaptureFileError } from '../../errors.js';
import { LinkType } from '../../model.js';
import type { Hop, SourceWarning } from '../../model.js';
import {
  type HopMap,
  SLL2_INDEX_END,
  isDecodedLinkType,
  skippedInterface,
  sll2InterfaceIndex,
  unsupportedLinkType,
} from './hop-source.js';
import { MAX_HOPS } from './limits.js';
import { type CaptureInterface, type OpenOptions, openCaptureFile } from './open.js';
import { printable } from './printable.js';

/**
 * A lone LINUX_SLL file is most likely `tcpdump -i any` from before libpcap 1.10: its
 * packets crossed several interfaces but do not say which, so it cannot be split into hops.
 */
const SLL_HAS_NO_INTERFACE =
  'link type LINUX_SLL (113) does not record which interface a packet crossed, so this capture cannot be split into hops; ' +
  'capture with `tcpdump -i any` on libpcap 1.10 or later (LINUX_SLL2), or one file per interface, or name it as one hop in a path.json';

export interface SplitFile {
  hops: Hop[];
  maps: [string, HopMap][];
}

/** The hops of a single file, or null when the file is simply one hop. */
export function splitSingleFile(file: string, options: OpenOptions, warn: (w: SourceWarning) => void): SplitFile | null {
  const reader = openCaptureFile(file, options);
  const ifindexes: number[] = [];
  let ifaces: CaptureInterface[];
  try {
    const first = reader.interfaces();
    if (first[0]?.linkType === LinkType.LINUX_SLL) throw new CaptureFileError(file, first[0].offset, SLL_HAS_NO_INTERFACE);
    // A classic pcap has one interface: only SLL2 can hold several hops.
    if (reader.format !== 'pcapng' && first[0].linkType !== LinkType.LINUX_SLL2) return null;
    const seen = new Set<number>();
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      if (rec.linkType !== LinkType.LINUX_SLL2 || rec.data.length < SLL2_INDEX_END) continue;
      const index = sll2InterfaceIndex(rec.data);
      if (!seen.has(index)) {
        if (seen.size === MAX_HOPS) throw new CaptureFileError(file, rec.offset, tooManyInterfaces(`interface indexes (ifindex ${index} is the ${MAX_HOPS + 1}th)`));
        seen.add(index);
        ifindexes.push(index);
      }
    }
    ifaces = reader.interfaces();
  } finally {
    reader.close();
  }
  const byName = splitByInterfaceName(file, ifaces, warn);
  if (byName) return byName;
  if (ifindexes.length > 1 && ifaces.every((iface) => iface.linkType === LinkType.LINUX_SLL2)) {
    const hopByIfindex = new Map(ifindexes.map((index, hop) => [index, hop]));
    const hops: Hop[] = ifindexes.map((index) => ({ name: `ifindex ${index}`, role: 'other', addrs: [], file }));
    return { hops, maps: [[file, { kind: 'ifindex', hopByIfindex }]] };
  }
  return null;
}

/**
 * One hop per if_name; interfaces of the same name in different sections (a capture
 * restarted, files concatenated) are the same hop. Unnamed interfaces are "if<N>".
 */
function splitByInterfaceName(file: string, ifaces: CaptureInterface[], warn: (w: SourceWarning) => void): SplitFile | null {
  const names = ifaces.map((iface, i) => (iface.name !== undefined && iface.name !== '' ? printable(iface.name) : `if${i}`));
  const order = [...new Set(names)];
  if (order.length < 2) return null;
  if (order.length > MAX_HOPS) {
    const extra = ifaces[names.indexOf(order[MAX_HOPS])];
    throw new CaptureFileError(file, extra.offset, tooManyInterfaces(`interface names (this interface is the ${MAX_HOPS + 1}th)`));
  }
  const decoded = ifaces.filter((iface) => isDecodedLinkType(iface.linkType));
  if (decoded.length === 0) throw new CaptureFileError(file, ifaces[0].offset, unsupportedLinkType(ifaces[0]));
  for (const iface of ifaces) if (!isDecodedLinkType(iface.linkType)) warn(skippedInterface(file, iface));
  const hops: Hop[] = order.map((name) => ({ name, role: 'other', addrs: [], file, iface: name }));
  const hopByIface = names.map((name) => order.indexOf(name));
  return { hops, maps: [[file, { kind: 'iface', hopByIface }]] };
}

/** One hop per interface: more than MAX_HOPS interfaces is not a path (see limits.ts). */
function tooManyInterfaces(what: string): string {
  return `more than ${MAX_HOPS} ${what}: one hop each would exceed the limit of ${MAX_HOPS} hops`;
}
