// The doctor's report as words (renderDoctor) and the --host specs of a multi-host trace
// (parseHostSpecs): pure parts of src/commands, asserted line by line. The probes themselves
// need the lab (test/why/doctor.lab.test.ts).
import { describe, expect, it } from 'vitest';
import { renderDoctor, type DoctorReport } from '../../src/commands/doctor.js';
import { parseHostSpecs } from '../../src/commands/multi-host-trace.js';
import { parseHostPort } from '../../src/commands/live.js';
import type { Cause } from '../../src/evidence/types.js';

const OUT = '203.0.113.2';
const notKnown: Cause = { kind: 'unknown', evidence: { counters: [], conntrack: [], sysctls: {} }, detail: { type: 'not-known', reason: 'nothing in the host state explains it' } };

describe('renderDoctor', () => {
  it('every step ok: one line each, the resolver kind named', () => {
    const report: DoctorReport = {
      container: 'c1', destination: OUT, steps: [
        { step: 'default-route', ok: true, subject: 'via 198.18.0.1 dev eth0' },
        { step: 'resolver', ok: true, subject: '127.0.0.11', resolverKind: 'embedded' },
        { step: 'icmp', ok: true, subject: OUT, probe: { outcome: 'ok' } },
        { step: 'tcp', ok: true, subject: `${OUT}:80`, probe: { outcome: 'ok', sport: 40000 } },
        { step: 'dns', ok: true, subject: 'example.test via 127.0.0.11', probe: { outcome: 'ok' } },
      ],
    };
    expect(renderDoctor(report)).toBe([
      `doctor c1 -> ${OUT}`,
      'ok    default route via 198.18.0.1 dev eth0',
      "ok    resolver 127.0.0.11 (Docker's embedded DNS (user-defined network): dockerd answers container names and forwards the rest)",
      `ok    ICMP echo to ${OUT}: answered`,
      `ok    TCP connect to ${OUT}:80: answered`,
      'ok    DNS query for example.test via 127.0.0.11: answered',
      '',
    ].join('\n'));
  });

  it('failures: FAIL, the probe outcome in words, the error message, and the cause on a why line', () => {
    const report: DoctorReport = {
      container: 'c1', destination: OUT, steps: [
        { step: 'default-route', ok: false, subject: 'none' },
        { step: 'resolver', ok: true, subject: OUT, resolverKind: 'dns-option' },
        { step: 'icmp', ok: false, subject: OUT, probe: { outcome: 'timeout' }, cause: notKnown },
        { step: 'tcp', ok: false, subject: `${OUT}:80`, probe: { outcome: 'refused' } },
        { step: 'dns', ok: false, subject: `example.test via ${OUT}`, probe: { outcome: 'error', message: 'EHOSTUNREACH' } },
      ],
    };
    expect(renderDoctor(report)).toBe([
      `doctor c1 -> ${OUT}`,
      'FAIL  default route none: the container reaches only its own networks',
      `ok    resolver ${OUT} (set with --dns)`,
      `FAIL  ICMP echo to ${OUT}: no answer`,
      '      why: the cause is not known: nothing in the host state explains it',
      `FAIL  TCP connect to ${OUT}:80: refused`,
      `FAIL  DNS query for example.test via ${OUT}: failed (EHOSTUNREACH)`,
      '',
    ].join('\n'));
  });

  it('a resolver copied from the host; an error without a message; a failed resolver step', () => {
    const report: DoctorReport = {
      container: 'web', destination: OUT, steps: [
        { step: 'resolver', ok: true, subject: '198.18.0.53, 198.18.0.54', resolverKind: 'copied' },
        { step: 'resolver', ok: false, subject: 'no nameserver in /etc/resolv.conf' },
        { step: 'icmp', ok: false, subject: OUT, probe: { outcome: 'error' } },
        { step: 'default-route', ok: true, subject: 'dev eth0' },
        // A message is shown only for an error.
        { step: 'tcp', ok: false, subject: `${OUT}:80`, probe: { outcome: 'timeout', message: 'ETIMEDOUT' } },
      ],
    };
    expect(renderDoctor(report).split('\n')).toEqual([
      `doctor web -> ${OUT}`,
      "ok    resolver 198.18.0.53, 198.18.0.54 (copied from the Docker host's resolv.conf (default bridge))",
      'FAIL  resolver no nameserver in /etc/resolv.conf',
      `FAIL  ICMP echo to ${OUT}: failed`,
      'ok    default route dev eth0',
      `FAIL  TCP connect to ${OUT}:80: no answer`,
      '',
    ]);
  });
});

describe('parseHostSpecs (--host name=endpoint)', () => {
  it('takes name=endpoint for each scheme, and a bare name for DOCKER_HOST or the local socket', () => {
    expect(parseHostSpecs(['h1=unix:///run/d.sock', 'h2=tcp://203.0.113.3:2375', 'h3=ssh://root@203.0.113.4'], {})).toEqual([
      { name: 'h1', endpoint: 'unix:///run/d.sock' },
      { name: 'h2', endpoint: 'tcp://203.0.113.3:2375' },
      { name: 'h3', endpoint: 'ssh://root@203.0.113.4' },
    ]);
    expect(parseHostSpecs(['h1'], { DOCKER_HOST: 'tcp://203.0.113.5:2375' })).toEqual([{ name: 'h1', endpoint: 'tcp://203.0.113.5:2375' }]);
    expect(parseHostSpecs(['h1'], { DOCKER_HOST: '' })).toEqual([{ name: 'h1', endpoint: 'unix:///var/run/docker.sock' }]);
    expect(parseHostSpecs(['h.1_a-b=tcp://x'], {})).toEqual([{ name: 'h.1_a-b', endpoint: 'tcp://x' }]);
    expect(parseHostSpecs([], {})).toEqual([]);
  });

  it('refuses a bad name, a bad endpoint and a name given twice, naming the value', () => {
    expect(() => parseHostSpecs(['-h=tcp://x'], {})).toThrow("--host -h=tcp://x: the name must be letters, digits, '.', '_' or '-' (e.g. --host h2=tcp://203.0.113.3:2375)");
    expect(() => parseHostSpecs(['h 1=tcp://x'], {})).toThrow("--host h 1=tcp://x: the name must be letters");
    expect(() => parseHostSpecs([`${'a'.repeat(64)}=tcp://x`], {})).toThrow('the name must be letters');
    expect(parseHostSpecs([`${'a'.repeat(63)}=tcp://x`], {})).toHaveLength(1);
    expect(() => parseHostSpecs(['=tcp://x'], {})).toThrow('--host =tcp://x: the name must be letters');
    expect(() => parseHostSpecs(['h2=http://203.0.113.3'], {})).toThrow('--host h2=http://203.0.113.3: the endpoint must be unix:///path, tcp://host:port or ssh://user@host');
    expect(() => parseHostSpecs(['h2=tcp://'], {})).toThrow('the endpoint must be');
    expect(() => parseHostSpecs(['h2=xtcp://a'], {})).toThrow('the endpoint must be');
    expect(() => parseHostSpecs(['h1=tcp://a', 'h2=tcp://b', 'h1=tcp://c'], {})).toThrow('--host h1 is given twice');
  });
});

describe('parseHostPort (the tcp and udp destination)', () => {
  it('takes host:port and [IPv6]:port', () => {
    expect(parseHostPort('203.0.113.2:80')).toEqual({ host: '203.0.113.2', port: 80 });
    expect(parseHostPort('web.test:8080')).toEqual({ host: 'web.test', port: 8080 });
    expect(parseHostPort('[2001:db8::2]:53')).toEqual({ host: '2001:db8::2', port: 53 });
    expect(parseHostPort('203.0.113.2:1')).toEqual({ host: '203.0.113.2', port: 1 });
    expect(parseHostPort('203.0.113.2:65535')).toEqual({ host: '203.0.113.2', port: 65535 });
  });

  it('refuses anything else, naming it', () => {
    for (const bad of ['203.0.113.2', '203.0.113.2:', ':80', '2001:db8::2:80', '[2001:db8::2]', '[2001:db8::2]:', '203.0.113.2:0', '203.0.113.2:65536', '203.0.113.2:8o', 'x:80:', 'x[2001:db8::2]:80', '[2001:db8::2]:80x']) {
      expect(() => parseHostPort(bad)).toThrow(`'${bad}' is not host:port (e.g. 203.0.113.2:80)`);
    }
  });
});
