// Snapshots built from outputs captured in the Docker lab (test/why/data/*): iptables-nft-save
// -c, nft -j / -a list ruleset and conntrack -L -o extended, before and after two pings from a
// container: 2 echoes to 203.0.113.2 (dropped by `-m mark --mark 0x0 -j DROP` in DOCKER-USER)
// and 2 to 198.19.0.1 (dropped first by a native nftables rule in table inet whyfw).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave } from '../../src/evidence/iptables.js';
import { parseNftRuleset } from '../../src/evidence/nft.js';
import { parseConntrack } from '../../src/evidence/conntrack.js';
import type { HostSnapshot } from '../../src/evidence/types.js';

export const DATA = join(import.meta.dirname, 'data');
export const read = (name: string): string => readFileSync(join(DATA, name), 'utf8');

/** A snapshot of the lab's Docker host from the captured files `<when>.*`; `edit` may change the save text. */
export function snapshot(when: 'before' | 'after', edit: (save: string) => string = (s) => s): HostSnapshot {
  const xt = parseIptablesSave(edit(read(`${when}.iptables-nft-save.txt`)), 'iptables-nft', 4);
  const nft = parseNftRuleset(read(`${when}.nft.json`), read(`${when}.nft.txt`));
  return {
    takenAt: 0, netns: 'ht-dockerhost',
    ruleset: { chains: [...xt.chains, ...nft.chains], rules: [...xt.rules, ...nft.rules], backends: ['iptables-nft', 'nft'] },
    conntrack: parseConntrack(read(`${when}.conntrack.txt`)),
    sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0' },
    routes: [], neighbours: [], gaps: [],
  };
}

/** A snapshot holding only an iptables-save -c capture (e.g. engine28.after.iptables-nft-save.txt). */
export function xtSnapshot(file: string): HostSnapshot {
  const xt = parseIptablesSave(read(file), 'iptables-nft', 4);
  return {
    takenAt: 0, netns: 'ht-dockerhost', ruleset: { ...xt, backends: ['iptables-nft'] }, conntrack: [],
    sysctls: { 'net.ipv4.ip_forward': '1' }, routes: [], neighbours: [], gaps: [],
  };
}
