import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostEvidence, parseHostFile, readHostFile, writeHostFile } from '../../src/evidence/host-file.js';
import { explainDrop } from '../../src/evidence/attribute.js';
import { whyText } from '../../src/evidence/words.js';
import { snapshot } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'ht-why-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('host.json', () => {
  it('gives the same cause after a write and a read as from the snapshots themselves', () => {
    const path = join(dir, 'host.json');
    writeHostFile(path, hostEvidence([{ role: 'host', before: snapshot('before'), after: snapshot('after') }]));
    const [ns] = readHostFile(path).namespaces;
    const q = { packet: { family: 4 as const, src: '198.18.0.2', dst: '198.19.0.1', proto: 1, icmpType: 8 }, inIface: 'docker0', outIface: 'eth0', leftHost: false, count: 2, ctState: 'NEW' as const };
    expect(whyText(explainDrop(q, ns!.before, ns!.after))).toBe(whyText(explainDrop(q, snapshot('before'), snapshot('after'))));
  });

  it('names the file and the field that is wrong', () => {
    const good = JSON.parse(JSON.stringify(hostEvidence([{ role: 'host', before: snapshot('before'), after: snapshot('after') }])));
    expect(() => parseHostFile('{', 'h.json')).toThrow(/^h\.json: JSON: /);
    expect(() => parseHostFile('{"format":"x"}', 'h.json')).toThrow('h.json: format: not a hoptrace-host file');
    expect(() => parseHostFile(JSON.stringify({ ...good, version: 9 }), 'h.json')).toThrow('h.json: version: 9 is not supported (this hoptrace reads 1)');
    good.namespaces[0].after.ruleset.rules[3].packets = 'many';
    expect(() => parseHostFile(JSON.stringify(good), 'h.json')).toThrow('h.json: namespaces[0].after.ruleset.rules[3]: needs text, packets, conditions and target');
  });

  it('says a file that cannot be read cannot be read', () => {
    expect(() => readHostFile(join(dir, 'none.json'))).toThrow(`${join(dir, 'none.json')}: cannot read: no such file`);
    writeFileSync(join(dir, 'empty.json'), '');
    expect(() => readHostFile(join(dir, 'empty.json'))).toThrow(/empty\.json: JSON: Unexpected end of JSON input/);
  });
});
