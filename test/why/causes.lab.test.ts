// One test per cause, in the real Docker lab: a scenario breaks the path the way users
// break it, real traffic runs, the evidence is read before and after, and attribution must
// name exactly the rule or setting the scenario made. Root only (the lab needs it).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explainDrop, explainMissingSnat, explainRewrite } from '../../src/evidence/attribute.js';
import { whyText } from '../../src/evidence/words.js';
import { causeLab, labSkipReason, ping, testContainer, type CauseLab } from './support.js';

const skip = labSkipReason();
const OUT = '203.0.113.2';

describe.skipIf(skip)(`causes named from the Docker host's evidence${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 60_000 }, () => {
  let l: CauseLab;
  let c1 = '';
  beforeAll(() => {
    l = causeLab();
    l.restore();
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => l?.restore());

  const pingOut = (name: string, count = 3): void => l.tryExec(`container:${name}`, `ping -c ${count} -i 0.3 -W 1 ${OUT}`);
  const dropAtUplink = (src: string, extra: Partial<Parameters<typeof explainDrop>[0]> = {}) =>
    ({ packet: ping(src, OUT), inIface: 'docker0', outIface: 'eth0', leftHost: false, count: 3, ctState: 'NEW' as const, ...extra });

  it('names net.ipv4.ip_forward = 0 when the host does not forward', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    const cause = explainDrop(dropAtUplink(c1), before, after);
    expect(cause.kind).toBe('sysctl');
    expect(whyText(cause)).toBe('the host does not forward IPv4 packets: net.ipv4.ip_forward = 0');
  });

  it('names the DROP rule in DOCKER-USER with the packets it counted', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-d', OUT, '-p', 'icmp', '-j', 'DROP']);
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    const cause = explainDrop(dropAtUplink(c1), before, after);
    expect(cause.kind).toBe('rule');
    expect(whyText(cause)).toBe('dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 3 packets during the trace: `-A DOCKER-USER -d 203.0.113.2/32 -p icmp -j DROP`');
    // The same flow with the rule gone is not dropped here: it left the host (and came back).
    l.restore();
    c1 = testContainer(l, 'why1');
    const ok = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    expect(explainDrop(dropAtUplink(c1, { leftHost: true }), ok.before, ok.after).kind).toBe('remote');
  });

  it('names a rule written in nftables directly, and one in iptables-legacy beside iptables-nft', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['nft', '-f', '-'], { input: `table inet whyfw {\n chain forward_filter {\n  type filter hook forward priority -10; policy accept;\n  ip daddr ${OUT} icmp type echo-request counter drop\n }\n}\n` });
    let snaps = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    expect(whyText(explainDrop(dropAtUplink(c1), snaps.before, snaps.after))).toBe(`dropped by a rule in chain forward_filter of table whyfw (nftables), which counted 3 packets during the trace: \`ip daddr ${OUT} icmp type echo-request counter drop\``);
    l.restore();
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables-legacy', '-I', 'FORWARD', '-d', OUT, '-p', 'icmp', '-j', 'DROP']);
    snaps = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    expect(snaps.after.ruleset.backends.sort()).toEqual(['iptables-legacy', 'iptables-nft']);
    expect(whyText(explainDrop(dropAtUplink(c1), snaps.before, snaps.after))).toBe(`dropped by a rule in chain FORWARD of table filter (iptables-legacy), which counted 3 packets during the trace: \`-A FORWARD -d ${OUT}/32 -p icmp -j DROP\``);
  });

  it('names the FORWARD policy DROP when Docker\'s accept rules are removed', async () => {
    c1 = testContainer(l, 'why1');
    // Docker's accept rules for traffic from docker0, wherever this engine keeps them (20.10:
    // FORWARD; 28: DOCKER-FORWARD), are deleted by their own text.
    l.lab.exec('host', `iptables -P FORWARD DROP && iptables-save -t filter | grep -E '^-A .*-i docker0 .*-j ACCEPT$' | sed 's/^-A/-D/' | while read -r r; do eval iptables $r; done`);
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    const cause = explainDrop(dropAtUplink(c1), before, after);
    expect(cause.kind).toBe('policy');
    expect(whyText(cause)).toBe('dropped by the policy of chain FORWARD of table filter, which counted 3 packets during the trace: no rule accepted them: `:FORWARD DROP`');
  });

  it('says which rule was needed when the MASQUERADE rule is deleted, and that the drop is beyond this host', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables', '-t', 'nat', '-D', 'POSTROUTING', '-s', '198.18.0.0/24', '!', '-o', 'docker0', '-j', 'MASQUERADE']);
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    const missing = explainMissingSnat(ping(c1, OUT), 'eth0', before, after);
    expect(whyText(missing)).toBe(`no source NAT rule covers ${c1} leaving by eth0: there is no source NAT rule at all`);
    const drop = explainDrop(dropAtUplink(c1, { leftHost: true }), before, after);
    expect(whyText(drop)).toBe('no rule or setting here accounts for it: the packets left this host by eth0');
  });

  it('names a REJECT with tcp-reset and its reject-with', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'tcp', '--dport', '5002', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const tcp = { family: 4 as const, src: c1, dst: OUT, proto: 6, dport: 5002 };
    const { before, after } = await l.around({ packet: tcp, iif: 'docker0' }, () => l.tryExec('container:why1', `nc -w 2 ${OUT} 5002 </dev/null`));
    const cause = explainDrop({ ...dropAtUplink(c1), packet: tcp, count: 1 }, before, after);
    expect(whyText(cause)).toBe('rejected (tcp-reset) by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 1 packet during the trace: `-A DOCKER-USER -p tcp -m tcp --dport 5002 -j REJECT --reject-with tcp-reset`');
  });

  it('names a REJECT with icmp-port-unreachable', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'udp', '--dport', '53', '-j', 'REJECT']);
    const udp = { family: 4 as const, src: c1, dst: OUT, proto: 17, dport: 53 };
    // busybox nslookup sends one query and stops at the ICMP port unreachable.
    const { before, after } = await l.around({ packet: udp, iif: 'docker0' }, () => l.tryExec('container:why1', `nslookup example.test ${OUT}`));
    const cause = explainDrop({ ...dropAtUplink(c1), packet: udp, count: 1 }, before, after);
    expect(whyText(cause)).toBe('rejected (icmp-port-unreachable) by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 1 packet during the trace: `-A DOCKER-USER -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`');
  });

  it('says the outside host dropped them: nothing on this host counted them', async () => {
    c1 = testContainer(l, 'why1');
    l.lab.exec('outside', ['iptables', '-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']);
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1'));
    const cause = explainDrop(dropAtUplink(c1, { leftHost: true }), before, after);
    expect(cause.kind).toBe('remote');
    expect(whyText(cause)).toBe('no rule or setting here accounts for it: the packets left this host by eth0');
  });

  it('names rp_filter = 1 when the route back to the source leaves by another interface', async () => {
    // The outside host pings the Docker host's uplink address from 198.19.0.1, to which the
    // Docker host routes by another interface (asym0): strict reverse-path filtering drops it.
    const src = l.lab.env.internetAddr;
    const up = l.lab.env.uplinkAddr;
    l.lab.exec('host', `ip link add asym0 type veth peer name asym1 && ip link set asym0 up && ip link set asym1 up && ip route add ${src}/32 dev asym0 && sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1`);
    const inbound = { family: 4 as const, src, dst: up, proto: 1, icmpType: 8 };
    const { before, after } = await l.around({ packet: inbound, iif: 'eth0' }, () => l.tryExec('outside', `busybox ping -c 3 -i 0.3 -W 1 -I ${src} ${up}`));
    const q = { packet: inbound, inIface: 'eth0', leftHost: false, count: 3, ctState: 'NEW' as const, local: true };
    const cause = explainDrop(q, before, after);
    expect(cause.kind).toBe('sysctl');
    expect(whyText(cause)).toBe('reverse-path filtering drops them: the route back to their source does not leave by eth0 (it leaves by asym0): net.ipv4.conf.all.rp_filter = 1');
    // With loose reverse-path filtering (2) the same traffic is not blamed on rp_filter.
    l.lab.exec('host', 'sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2');
    const loose = await l.around({ packet: inbound, iif: 'eth0' }, () => l.tryExec('outside', `busybox ping -c 3 -i 0.3 -W 1 -I ${src} ${up}`));
    expect(explainDrop(q, loose.before, loose.after).kind).not.toBe('sysctl');
  });

  it('says a user bridge with enable_ip_masquerade=false has no source NAT, and which rule does not cover it', async () => {
    l.lab.docker('network', 'create', '--label', 'ht-why', '--subnet', l.lab.env.userSubnet, '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', 'whynomasq');
    const c2 = testContainer(l, 'why2', ['--network', 'whynomasq']);
    const { before, after } = await l.around({ packet: ping(c2, OUT), iif: 'docker0' }, () => pingOut('why2'));
    const cause = explainMissingSnat(ping(c2, OUT), 'eth0', before, after);
    expect(whyText(cause)).toBe(`no source NAT rule covers ${c2} leaving by eth0: \`-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE\` needs source in 198.18.0.0/24; Docker network whynomasq has com.docker.network.bridge.enable_ip_masquerade=false`);
  });

  it('names the DNAT rule and the conntrack entry of a published port', async () => {
    const c3 = testContainer(l, 'why3', ['-p', '8080:80'], ['httpd', '-f', '-p', '80', '-h', '/var/www']);
    l.lab.waitForListen('container:why3', 80);
    const up = l.lab.env.uplinkAddr;
    const before = { family: 4 as const, src: OUT, dst: up, proto: 6, dport: 8080 };
    const snaps = await l.around({ packet: before, iif: 'eth0' }, () => l.tryExec('outside', `busybox wget -q -O /dev/null http://${up}:8080/`));
    // The client's port, read apart from the module under test (busybox picks it).
    const sport = /sport=(\d+) dport=8080/.exec(l.lab.exec('host', 'conntrack -L -p tcp --orig-port-dst 8080 2>/dev/null'))?.[1];
    const cause = explainRewrite({ before, after: { ...before, dst: c3, dport: 80 }, inIface: 'eth0', outIface: 'docker0' }, snaps.before, snaps.after);
    expect(whyText(cause)).toBe(`destination rewritten by a rule in chain DOCKER of table nat (iptables-nft): \`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination ${c3}:80\`; conntrack 203.0.113.2:${sport} -> 203.0.113.1:8080 <-> ${c3}:80 -> 203.0.113.2:${sport}`);
    // The reply, rewritten back at the Docker host, is conntrack undoing that DNAT.
    const reply = { family: 4 as const, src: c3, dst: OUT, proto: 6, sport: 80, dport: Number(sport) };
    const back = explainRewrite({ before: reply, after: { ...reply, src: up, sport: 8080 }, inIface: 'docker0', outIface: 'eth0' }, snaps.before, snaps.after);
    expect(whyText(back)).toBe(`reply rewritten by conntrack, undoing the destination NAT made by a rule in chain DOCKER of table nat (iptables-nft): \`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination ${c3}:80\`; conntrack 203.0.113.2:${sport} -> 203.0.113.1:8080 <-> ${c3}:80 -> 203.0.113.2:${sport}`);
  });

  it('names the MASQUERADE rule and the conntrack entry of an outbound ping', async () => {
    c1 = testContainer(l, 'why1');
    const { before, after } = await l.around({ packet: ping(c1, OUT), iif: 'docker0' }, () => pingOut('why1', 1));
    const cause = explainRewrite({ before: ping(c1, OUT), after: { ...ping(c1, OUT), src: l.lab.env.uplinkAddr }, inIface: 'docker0', outIface: 'eth0' }, before, after);
    const up = l.lab.env.uplinkAddr;
    const reply = { family: 4 as const, src: OUT, dst: up, proto: 1, icmpType: 0 };
    const back = explainRewrite({ before: reply, after: { ...reply, dst: c1 }, inIface: 'eth0', outIface: 'docker0' }, before, after);
    expect(whyText(back)).toMatch(new RegExp(`^reply rewritten by conntrack, undoing the source NAT made by a rule in chain POSTROUTING of table nat \\(iptables-nft\\): \`-A POSTROUTING -s 198\\.18\\.0\\.0/24 ! -o docker0 -j MASQUERADE\`; conntrack ${c1} -> ${OUT} id (\\d+) <-> ${OUT} -> 203\\.0\\.113\\.1 id \\1$`));
    expect(whyText(cause)).toMatch(new RegExp(`^source rewritten by a rule in chain POSTROUTING of table nat \\(iptables-nft\\): \`-A POSTROUTING -s 198\\.18\\.0\\.0/24 ! -o docker0 -j MASQUERADE\`; conntrack ${c1} -> ${OUT} id (\\d+) <-> ${OUT} -> 203\\.0\\.113\\.1 id \\1$`));
  });
});
