// `--host name=endpoint` as the user types it, and path.json's host fields as replay reads them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostSpecs } from '../../src/commands/multi-host-trace.js';
import { readPathJson } from '../../src/capture/files/path-json.js';

describe('--host name=endpoint', () => {
  it("takes Docker's three endpoint forms, and a name alone means DOCKER_HOST (else the local socket)", () => {
    expect(parseHostSpecs(['h1=unix:///run/docker.sock', 'h2=tcp://203.0.113.3:2375', 'h3=ssh://root@203.0.113.4', 'h4'], { DOCKER_HOST: 'tcp://203.0.113.5:2375' })).toEqual([
      { name: 'h1', endpoint: 'unix:///run/docker.sock' },
      { name: 'h2', endpoint: 'tcp://203.0.113.3:2375' },
      { name: 'h3', endpoint: 'ssh://root@203.0.113.4' },
      { name: 'h4', endpoint: 'tcp://203.0.113.5:2375' },
    ]);
    expect(parseHostSpecs(['h1'], {})).toEqual([{ name: 'h1', endpoint: 'unix:///var/run/docker.sock' }]);
  });

  it('refuses an unknown scheme, a bad name and a name given twice, each in one line naming it', () => {
    expect(() => parseHostSpecs(['h2=http://203.0.113.3:2375'])).toThrow('--host h2=http://203.0.113.3:2375: the endpoint must be unix:///path, tcp://host:port or ssh://user@host');
    expect(() => parseHostSpecs(['=tcp://203.0.113.3:2375'])).toThrow("--host =tcp://203.0.113.3:2375: the name must be letters, digits, '.', '_' or '-'");
    expect(() => parseHostSpecs(['h1=tcp://203.0.113.3:2375', 'h1=tcp://203.0.113.4:2375'])).toThrow('--host h1 is given twice');
  });
});

describe("path.json's host and clockUncertaintyUs", () => {
  const write = (hop: object): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-hostjson-'));
    fs.writeFileSync(path.join(dir, 'a.pcap'), '');
    fs.writeFileSync(path.join(dir, 'path.json'), JSON.stringify({ hops: [{ file: 'a.pcap', name: 'h2 eth0', role: 'uplink', ...hop }] }));
    return dir;
  };

  it('are read onto the hop', () => {
    const dir = write({ host: 'h2', clockUncertaintyUs: 2704 });
    expect(readPathJson(dir).hops[0]).toMatchObject({ name: 'h2 eth0', host: 'h2', clockUncertaintyUs: 2704 });
    fs.rmSync(dir, { recursive: true });
  });

  it('a negative uncertainty or an empty host is refused, naming the field', () => {
    const a = write({ host: 'h2', clockUncertaintyUs: -1 });
    expect(() => readPathJson(a)).toThrow(`${path.join(a, 'path.json')}: hops[0].clockUncertaintyUs: must be microseconds from 0 to 3600000000 (got -1)`);
    const b = write({ host: '' });
    expect(() => readPathJson(b)).toThrow(`${path.join(b, 'path.json')}: hops[0].host: must be a non-empty string`);
    fs.rmSync(a, { recursive: true });
    fs.rmSync(b, { recursive: true });
  });
});
