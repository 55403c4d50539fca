// Inputs a hostile or careless user hands to replay: special files where a file is
// expected, paths that leave the trace directory, path.json fields that are absurd or that
// would break an error line. Each ends with one line naming the file, exit code 2.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { linkSync, mkdirSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FatalError } from '../../src/errors.js';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngBuilder, pcapFile, payload, scratchDir } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());

const capture = (seed: number) => pcapFile({}, [{ sec: 1, frac: seed, data: payload(60, seed) }]);
const hops = [
  { file: '01-a.pcap', name: 'a', role: 'container' },
  { file: '02-b.pcap', name: 'b', role: 'uplink' },
];

/** A trace directory with path.json (an object, or text as given) and two good captures. */
function traceDir(name: string, pathJson: unknown): string {
  const folder = dir.path(name);
  mkdirSync(folder);
  if (pathJson !== null) writeFileSync(join(folder, 'path.json'), typeof pathJson === 'string' ? pathJson : JSON.stringify(pathJson));
  writeFileSync(join(folder, '01-a.pcap'), capture(1));
  writeFileSync(join(folder, '02-b.pcap'), capture(2));
  return folder;
}

/** The one line a refusal prints (without "hoptrace: "); exit code 2, no line break. */
function refusal(run: () => unknown): string {
  try {
    const trace = run() as { frames(): Iterable<unknown> };
    for (const _ of trace.frames());
  } catch (err) {
    expect(err).toBeInstanceOf(FatalError);
    expect((err as FatalError).exitCode).toBe(2);
    expect((err as FatalError).message).not.toMatch(/[\n\r]/);
    return (err as FatalError).message;
  }
  throw new Error('no error was thrown');
}

/**
 * A FIFO, with a writer that opens it after a while: should opening the FIFO block (the bug
 * this guards against), the writer ends the wait and the test fails instead of hanging.
 */
function fifo(path: string): ChildProcess {
  execFileSync('mkfifo', [path]);
  return spawn('sh', ['-c', `sleep 3; : > '${path}'`], { stdio: 'ignore' });
}

describe('a special file where a file is expected is refused before it is opened', () => {
  it('a FIFO as a capture file', () => {
    const path = dir.path('fifo.pcap');
    const writer = fifo(path);
    try {
      expect(refusal(() => openTrace([path]))).toBe(`${path}: offset 0: cannot open: a named pipe (FIFO), not a regular file`);
    } finally {
      writer.kill();
    }
  });

  it("a FIFO as a hop's file in a trace directory", () => {
    const folder = traceDir('fifo-hop', { hops: [...hops, { file: '03-c.pcap', name: 'c', role: 'other' }] });
    const writer = fifo(join(folder, '03-c.pcap'));
    try {
      expect(refusal(() => openTrace([folder]))).toBe(`${folder}/03-c.pcap: offset 0: cannot open: a named pipe (FIFO), not a regular file`);
    } finally {
      writer.kill();
    }
  });

  it('a FIFO as path.json', () => {
    const folder = traceDir('fifo-path-json', null);
    const writer = fifo(join(folder, 'path.json'));
    try {
      expect(refusal(() => openTrace([folder]))).toBe(`${folder}/path.json: cannot read: a named pipe (FIFO), not a regular file`);
    } finally {
      writer.kill();
    }
  });

  it.each(['/dev/zero', '/dev/urandom'])('path.json linked to %s, even with files outside allowed, without reading it', (device) => {
    const folder = traceDir(`device-${device.slice(5)}`, null);
    symlinkSync(device, join(folder, 'path.json'));
    expect(refusal(() => openTrace([folder], { allowOutside: true }))).toBe(`${folder}/path.json: cannot read: a character device, not a regular file`);
  });

  it('a character device as a capture file, and as a hop file when files outside are allowed', () => {
    expect(refusal(() => openTrace(['/dev/zero']))).toBe('/dev/zero: offset 0: cannot open: a character device, not a regular file');
    const folder = traceDir('device-hop', { hops: [...hops, { file: 'null.pcap', name: 'c', role: 'other' }] });
    symlinkSync('/dev/null', join(folder, 'null.pcap'));
    expect(refusal(() => openTrace([folder], { allowOutside: true }))).toBe(`${folder}/null.pcap: offset 0: cannot open: a character device, not a regular file`);
  });

  it('a directory as a hop file', () => {
    const folder = traceDir('dir-hop', { hops: [hops[0], { ...hops[1], file: 'sub' }] });
    mkdirSync(join(folder, 'sub'));
    expect(refusal(() => openTrace([folder]))).toBe(`${folder}/sub: offset 0: cannot open: a directory, not a capture file`);
  });

  it('a path.json larger than 1 MiB, before reading it (a sparse file: no bytes are written)', () => {
    const folder = traceDir('huge-path-json', { hops });
    truncateSync(join(folder, 'path.json'), 3 * 2 ** 30);
    expect(refusal(() => openTrace([folder]))).toBe(`${folder}/path.json: cannot read: 3221225472 bytes, more than the limit of 1048576`);
  });
});

describe('files a trace directory names stay inside it', () => {
  const outsideFile = () => {
    mkdirSync(dir.path('elsewhere'), { recursive: true });
    return dir.write('elsewhere/b.pcap', capture(7));
  };

  it.each([
    ['a path with ..', '../elsewhere/b.pcap', '"../elsewhere/b.pcap" leads out of the trace directory'],
    ['an absolute path', 'ABSOLUTE', '"ABSOLUTE" is an absolute path'],
    ['a path through a sub-folder and back out', 'x/../../elsewhere/b.pcap', '"x/../../elsewhere/b.pcap" leads out of the trace directory'],
  ])('%s is refused, naming the field and the option that allows it', (kind, named, why) => {
    const target = outsideFile();
    const file = named === 'ABSOLUTE' ? target : named;
    const folder = traceDir(`out-${kind.replace(/\W/g, '-')}`, { hops: [hops[0], { ...hops[1], file }] });
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: hops[1].file: ${why.replace('ABSOLUTE', target)}; refused (--allow-outside-files to read it)`,
    );
  });

  it('a link inside the directory pointing out is refused, naming where it leads', () => {
    const target = outsideFile();
    const folder = traceDir('out-link', { hops: [hops[0], { ...hops[1], file: 'link.pcap' }] });
    symlinkSync(target, join(folder, 'link.pcap'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: hops[1].file: "link.pcap" is a link to ${target}, outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('a path.json that is a link out of the directory is refused', () => {
    const elsewhere = dir.write('elsewhere-path.json', Buffer.from(JSON.stringify({ hops })));
    const folder = traceDir('out-path-json', null);
    symlinkSync(elsewhere, join(folder, 'path.json'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: is a link to ${elsewhere}, outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('links and sub-folders that stay inside are read without a word', () => {
    const folder = traceDir('in-link', { hops: [hops[0], { ...hops[1], file: 'sub/../link.pcap' }] });
    mkdirSync(join(folder, 'sub'));
    symlinkSync('02-b.pcap', join(folder, 'link.pcap'));
    const trace = openTrace([folder]);
    expect([...trace.frames()].map((f) => [f.hop, f.tsNsec])).toEqual([[0, 1000], [1, 2000]]);
    expect(trace.outsideFiles).toEqual([]);
  });

  it('with allowOutside they are read, and listed for the report with where they really are', () => {
    const target = outsideFile();
    const folder = traceDir('allowed', { hops: [hops[0], { ...hops[1], file: '../elsewhere/b.pcap' }, { file: 'link.pcap', name: 'c', role: 'other' }] });
    symlinkSync(target, join(folder, 'link.pcap'));
    const trace = openTrace([folder], { allowOutside: true });
    expect(trace.hops.map((h) => h.file)).toEqual([`${folder}/01-a.pcap`, `${folder}/../elsewhere/b.pcap`.replace(/[^/]+\/\.\.\//, ''), `${folder}/link.pcap`]);
    expect(trace.outsideFiles).toEqual([
      { hop: 1, named: '../elsewhere/b.pcap', target, how: 'parent' },
      { hop: 2, named: 'link.pcap', target, how: 'link' },
    ]);
    expect([...trace.frames()].map((f) => [f.hop, f.tsNsec])).toEqual([[0, 1000], [1, 7000], [2, 7000]]);
  });

  /** A capture outside the trace directory with one name only, for a test to link to. */
  const loneFile = (name: string) => {
    mkdirSync(dir.path('elsewhere'), { recursive: true });
    return dir.write(`elsewhere/${name}.pcap`, capture(7));
  };

  it('a hop file that is a hard link is refused: where its other name is cannot be told', () => {
    const target = loneFile('hard-1');
    const folder = traceDir('hard-link', { hops: [hops[0], { ...hops[1], file: 'b.pcap' }] });
    linkSync(target, join(folder, 'b.pcap'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: hops[1].file: "b.pcap" is a hard link (the file has 2 names): where its other names are cannot be told, so it may be a file from outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('a hard link between two files inside the directory is refused just the same (it cannot be told apart)', () => {
    const folder = traceDir('hard-link-inside', { hops: [hops[0], { ...hops[1], file: 'b2.pcap' }] });
    linkSync(join(folder, '02-b.pcap'), join(folder, 'b2.pcap'));
    linkSync(join(folder, '02-b.pcap'), join(folder, 'b3.pcap'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: hops[1].file: "b2.pcap" is a hard link (the file has 3 names): where its other names are cannot be told, so it may be a file from outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('a symbolic link inside the directory to a hard-linked file is refused as the hard link', () => {
    const folder = traceDir('sym-to-hard', { hops: [hops[0], { ...hops[1], file: 'link.pcap' }] });
    linkSync(loneFile('hard-2'), join(folder, 'b.pcap'));
    symlinkSync('b.pcap', join(folder, 'link.pcap'));
    expect(refusal(() => openTrace([folder]))).toMatch(/hops\[1\]\.file: "link\.pcap" is a hard link \(the file has 2 names\)/);
  });

  it('a path.json that is a hard link is refused', () => {
    const elsewhere = dir.write('elsewhere-hard.json', Buffer.from(JSON.stringify({ hops })));
    const folder = traceDir('hard-path-json', null);
    linkSync(elsewhere, join(folder, 'path.json'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: is a hard link (the file has 2 names): where its other names are cannot be told, so it may be a file from outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('with allowOutside a hard link is read, listed, and named in a warning of the report', () => {
    const target = loneFile('hard-3');
    const folder = traceDir('hard-link-allowed', { hops: [hops[0], { ...hops[1], file: 'b.pcap' }] });
    linkSync(target, join(folder, 'b.pcap'));
    const trace = openTrace([folder], { allowOutside: true });
    expect(trace.outsideFiles).toEqual([{ hop: 1, named: 'b.pcap', target: join(folder, 'b.pcap'), how: 'hard-link', links: 2 }]);
    expect(trace.warnings).toEqual([{
      file: join(folder, 'b.pcap'), offset: 0,
      message: 'read with --allow-outside-files: "b.pcap" is a hard link (the file has 2 names): where its other names are cannot be told, so it may be a file from outside the trace directory',
    }]);
    expect([...trace.frames()].map((f) => [f.hop, f.tsNsec])).toEqual([[0, 1000], [1, 7000]]);
  });

  it('files on the command line are read whatever their links: the user named them', () => {
    const target = loneFile('hard-4');
    const second = dir.path('second-name.pcap');
    linkSync(target, second);
    expect(statSync(second).nlink).toBeGreaterThan(1);
    const trace = openTrace([second]);
    expect(trace.warnings).toEqual([]);
    expect([...trace.frames()]).toHaveLength(1);
  });

  it("host.json (the host's state --record writes) is found beside the pcaps, and held to the same rule", () => {
    const inside = traceDir('host-inside', { hops });
    writeFileSync(join(inside, 'host.json'), '{}');
    expect(openTrace([inside]).hostFile).toBe(join(inside, 'host.json'));
    expect(openTrace([traceDir('host-none', { hops })]).hostFile).toBeUndefined();
    const elsewhere = dir.write('elsewhere-host.json', Buffer.from('{}'));
    const linked = traceDir('host-link-out', { hops });
    symlinkSync(elsewhere, join(linked, 'host.json'));
    expect(refusal(() => openTrace([linked]))).toBe(`${linked}/host.json: is a link to ${elsewhere}, outside the trace directory; refused (--allow-outside-files to read it)`);
    const allowed = openTrace([linked], { allowOutside: true });
    expect(allowed.hostFile).toBe(join(linked, 'host.json'));
    expect(allowed.outsideFiles).toEqual([{ named: 'host.json', target: elsewhere, how: 'link' }]);
    expect(allowed.warnings.map((w) => `${w.file}: ${w.message}`)).toEqual([`${linked}/host.json: read with --allow-outside-files: "host.json" is a link to ${elsewhere}, outside the trace directory`]);
    const hard = traceDir('host-hard-link', { hops });
    linkSync(dir.write('elsewhere-host-hard.json', Buffer.from('{}')), join(hard, 'host.json'));
    expect(refusal(() => openTrace([hard]))).toBe(
      `${hard}/host.json: is a hard link (the file has 2 names): where its other names are cannot be told, so it may be a file from outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('a trace directory reached through a link is read as the directory it leads to', () => {
    const folder = traceDir('real-dir', { hops });
    const link = dir.path('dir-link');
    symlinkSync(folder, link);
    const trace = openTrace([link]);
    expect(trace.outsideFiles).toEqual([]);
    expect([...trace.frames()]).toHaveLength(2);
  });

  it('a sub-folder that is a link out is refused like a file that is one', () => {
    outsideFile();
    const folder = traceDir('sub-link', { hops: [hops[0], { ...hops[1], file: 'sub/b.pcap' }] });
    symlinkSync(dir.path('elsewhere'), join(folder, 'sub'));
    expect(refusal(() => openTrace([folder]))).toBe(
      `${folder}/path.json: hops[1].file: "sub/b.pcap" is a link to ${dir.path('elsewhere/b.pcap')}, outside the trace directory; refused (--allow-outside-files to read it)`,
    );
  });

  it('a path.json linked from outside is listed too when allowed', () => {
    const elsewhere = dir.write('elsewhere-allowed.json', Buffer.from(JSON.stringify({ hops })));
    const folder = traceDir('out-path-json-allowed', null);
    symlinkSync(elsewhere, join(folder, 'path.json'));
    expect(openTrace([folder], { allowOutside: true }).outsideFiles).toEqual([{ named: 'path.json', target: elsewhere, how: 'link' }]);
  });

  it("an error never shows a file's bytes: /etc/passwd's first bytes are not echoed", () => {
    const folder = traceDir('passwd', { hops: [hops[0], { ...hops[1], file: 'passwd' }] });
    symlinkSync('/etc/passwd', join(folder, 'passwd'));
    const message = refusal(() => openTrace([folder], { allowOutside: true }));
    expect(message).toBe(`${folder}/passwd: offset 0: not a pcap or pcapng file (its first 4 bytes are no known capture magic number; the bytes are not shown)`);
    expect(message).not.toMatch(/726f6f74|root/);
  });

  it('a path.json that is not JSON is refused without quoting it', () => {
    const folder = traceDir('not-json', 'root:x:0:0:root:/root:/bin/bash\n');
    expect(refusal(() => openTrace([folder]))).toBe(`${folder}/path.json: not valid JSON: unexpected character`);
    const broken = traceDir('broken-json', '{\n  "hops": [\n    {"file": "01-a.pcap",, }\n]}');
    expect(refusal(() => openTrace([broken]))).toBe(`${broken}/path.json: not valid JSON: expected double-quoted property name, at line 3 column 26`);
  });
});

describe("path.json's values are checked", () => {
  it.each([
    [{ stoppedAt: 1e300 }, 'stoppedAt: must be seconds since the epoch, from 0 to 4294967296 (year 2106) (got 1e+300)'],
    [{ stoppedAt: -1 }, 'stoppedAt: must be seconds since the epoch, from 0 to 4294967296 (year 2106) (got -1)'],
    [{ stoppedAt: '1700000000' }, 'stoppedAt: must be seconds since the epoch, from 0 to 4294967296 (year 2106) (got "1700000000")'],
    [{ hops: [hops[0], { ...hops[1], name: 'b\nhoptrace: all is well' }] }, 'hops[1].name: must not contain control characters (got "b\\x0ahoptrace: all is well")'],
    [{ hops: [hops[0], { ...hops[1], iface: 'eth0\u001b[2J' }] }, 'hops[1].iface: must not contain control characters (got "eth0\\x1b[2J")'],
    [{ hops: [hops[0], { ...hops[1], name: 'b\u202etxt.exe' }] }, 'hops[1].name: must not contain control characters (got "b\\u202etxt.exe")'],
    [{ description: 'line one\nline two' }, 'description: must not contain control characters (got "line one\\x0aline two")'],
    [{ hops: [hops[0], { ...hops[1], name: 'x'.repeat(300) }] }, `hops[1].name: must be at most 256 characters (got "${'x'.repeat(40)}..." (300 characters))`],
    [{ hops: [hops[0], { ...hops[1], mtu: 1e300 }] }, 'hops[1].mtu: must be a whole number from 1 to 65536 (got 1e+300)'],
    [{ hops: [hops[0], { ...hops[1], role: ['veth'] }] }, 'hops[1].role: must be a non-empty string (got an array of 1)'],
    [{ hops: [hops[0], { ...hops[1], name: 'a' }] }, 'hops[1].name: "a" names two hops'],
    [{ hops: [hops[0], { ...hops[1], addrs: Array(257).fill('198.18.0.1') }] }, 'hops[1].addrs: 257 addresses, more than the limit of 256'],
  ])('%j is refused: %s', (change, problem) => {
    const folder = traceDir(`values-${Math.random().toString(36).slice(2)}`, { hops, ...change });
    expect(refusal(() => openTrace([folder]))).toBe(`${folder}/path.json: ${problem}`);
  });

  it('a stoppedAt just below a whole second keeps its microseconds and carries into the second', () => {
    const folder = traceDir('stopped-carry', { hops, stoppedAt: 1700000000.9999997 });
    expect(openTrace([folder]).stoppedAt).toEqual({ sec: 1700000001, nsec: 0 });
    const plain = traceDir('stopped-plain', { hops, stoppedAt: 1700000000.25 });
    expect(openTrace([plain]).stoppedAt).toEqual({ sec: 1700000000, nsec: 250000000 });
  });

  it('a hop without a role is "other", as the README says roles are optional', () => {
    const folder = traceDir('no-role', { hops: [hops[0], { file: '02-b.pcap', name: 'b' }] });
    expect(openTrace([folder]).hops.map((h) => h.role)).toEqual(['container', 'other']);
  });

  it('a UTF-8 byte-order mark before the JSON is accepted', () => {
    const folder = traceDir('bom', `\ufeff${JSON.stringify({ hops })}`);
    expect(openTrace([folder]).hops.map((h) => h.name)).toEqual(['a', 'b']);
  });
});

describe('a trace has at most 64 hops', () => {
  it('path.json with 65 hops is refused before any file is opened', () => {
    const many = Array.from({ length: 65 }, (_, i) => ({ file: `missing-${i}.pcap`, name: `h${i}`, role: 'other' }));
    const folder = traceDir('hops-65', { hops: many });
    expect(refusal(() => openTrace([folder]))).toBe(`${folder}/path.json: hops: 65 hops, more than the limit of 64 (hoptrace traces paths of up to 64 capture points)`);
  });

  it('path.json with 64 hops is read', () => {
    const many = Array.from({ length: 64 }, (_, i) => ({ file: '01-a.pcap', name: `h${i}`, role: 'other' }));
    expect(openTrace([traceDir('hops-64', { hops: many })]).hops).toHaveLength(64);
  });

  it('65 capture files on the command line are refused', () => {
    const file = dir.write('one-of-many.pcap', capture(1));
    expect(refusal(() => openTrace(Array(65).fill(file)))).toBe(
      '65 capture files given, one hop each: 65 hops, more than the limit of 64 (hoptrace traces paths of up to 64 capture points)',
    );
  });

  it('a LINUX_SLL2 capture with 100,000 interface indexes is refused at the record of the 65th', () => {
    const sll2 = (ifindex: number) => {
      const header = Buffer.alloc(20);
      header.writeUInt16BE(0x0800, 0);
      header.writeUInt32BE(ifindex, 4);
      return header;
    };
    const records = Array.from({ length: 100_000 }, (_, i) => ({ sec: 1, frac: i, data: sll2(i + 1) }));
    const file = dir.write('many-ifindexes.pcap', pcapFile({ linkType: 276 }, records));
    expect(refusal(() => openTrace([file]))).toBe(
      `${file}: offset ${24 + 64 * 36}: more than 64 interface indexes (ifindex 65 is the 65th): one hop each would exceed the limit of 64 hops`,
    );
  });

  it('a pcapng file with 65 interface names is refused at the 65th interface', () => {
    const builder = new PcapngBuilder().section();
    for (let i = 0; i < 65; i++) builder.iface({ name: `eth${i}` });
    const file = dir.write('many-names.pcapng', builder.epb({ ts: 1n, data: payload(40) }).build());
    // Section header 28 bytes; interface blocks of 32 bytes (eth0-eth9) and 36 (eth10 on).
    expect(refusal(() => openTrace([file]))).toBe(
      `${file}: offset ${28 + 10 * 32 + 54 * 36}: more than 64 interface names (this interface is the 65th): one hop each would exceed the limit of 64 hops`,
    );
  });

  it('a pcapng file of more than 65536 interface description blocks is refused at the one too many', () => {
    const builder = new PcapngBuilder().section();
    const idb = new PcapngBuilder().iface().build();
    builder.raw(Buffer.concat(Array(65537).fill(idb)));
    const file = dir.write('many-idbs.pcapng', builder.build());
    expect(refusal(() => openTrace([file]))).toBe(`${file}: offset ${28 + 65536 * idb.length}: more than 65536 interface description blocks in one file`);
  });

  it('a pcapng file with 100 interfaces of an undecoded link type gives 20 warnings and one line counting the rest', () => {
    const builder = new PcapngBuilder().section().iface({ name: 'eth0' });
    for (let i = 1; i <= 100; i++) builder.iface({ name: `wlan${i}`, linkType: 105 });
    for (let i = 0; i <= 100; i++) builder.epb({ iface: i, ts: BigInt(i), data: payload(40) });
    const file = dir.write('many-skipped.pcapng', builder.build());
    // More than 64 names would be refused: the file is named as one hop in a trace directory.
    const folder = traceDir('many-skipped', { hops: [{ file: '../many-skipped.pcapng', name: 'any', role: 'other' }] });
    const trace = openTrace([folder], { allowOutside: true });
    for (const _ of trace.frames());
    expect(trace.warnings).toHaveLength(22);
    expect(trace.warnings[0].message).toBe('read with --allow-outside-files: "../many-skipped.pcapng" leads out of the trace directory');
    expect(trace.warnings[1].message).toBe('unsupported link type 105 (interface 1): its packets are skipped');
    expect(trace.warnings[21].message).toBe('80 more warnings about this file left out');
  });

  it('a file named on the command line with a newline in its name gives a hop name with the newline escaped', () => {
    const file = dir.write('odd\nname.pcap', capture(1));
    const other = dir.write('plain.pcap', capture(2));
    expect(openTrace([file, other]).hops.map((h) => h.name)).toEqual(['odd\\x0aname', 'plain']);
  });
});
