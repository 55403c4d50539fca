// A live source says each hop's link type when its capture opens, before any frame: runTrace
// hands it to the --pcapng export, so a hop that sees no packet is still described with its
// own link type. A source of ping-out's frames without those of eth0, which it says is a
// Linux cooked capture; the control is the same source saying nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngExport } from '../../src/export/pcapng-export.js';
import { type Frame, LinkType } from '../../src/model.js';
import { runTrace } from '../../src/pipeline/run-trace.js';
import type { FrameSink, FrameSource } from '../../src/source.js';
import { FIXTURES, scratchDir, which } from './support.js';

const dir = scratchDir('linktypes');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function sourceWithoutEth0(sayLinkTypes: boolean): FrameSource {
  const trace = openTrace([path.join(FIXTURES, 'ping-out')]);
  const frames: Frame[] = [...trace.frames()].filter((f) => f.hop !== 3).map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
  trace.close();
  let done!: () => void;
  const ended = new Promise<void>((resolve) => (done = resolve));
  return {
    hops: trace.hops,
    notes: [],
    ended,
    async start(sink: FrameSink) {
      if (sayLinkTypes) trace.hops.forEach((_, hop) => sink.linkType?.(hop, hop === 3 ? LinkType.LINUX_SLL : LinkType.ETHERNET));
      for (const f of frames) sink.push(f);
      done();
    },
    stop: () => undefined,
    hopStatus: () => trace.hops.map(() => ({ packets: 0 })),
    warnings: () => [],
  };
}

async function exported(name: string, sayLinkTypes: boolean): Promise<string> {
  const source = sourceWithoutEth0(sayLinkTypes);
  const file = path.join(dir, name);
  const pcapng = new PcapngExport(file, source.hops);
  const session = await runTrace(source, { listeners: [pcapng.listener], taps: [pcapng] });
  await session.report;
  return file;
}

/** Each interface's name and encapsulation, as capinfos reads the Interface Description Blocks. */
function interfaces(file: string): string[] {
  const out = spawnSync('capinfos', ['-M', file], { encoding: 'utf8' }).stdout;
  const names = [...out.matchAll(/^\s+Name = (.*)$/gm)].map((m) => m[1]);
  const encaps = [...out.matchAll(/^\s+Encapsulation = (.*)$/gm)].map((m) => m[1]);
  return names.map((n, i) => `${n}: ${encaps[i]}`);
}

describe.skipIf(!which('capinfos'))('link types known before the first frame', () => {
  it('a hop that sees no packet is described with the link type its capture opened with', async () => {
    expect(interfaces(await exported('said.pcapng', true))).toEqual([
      'c1 eth0: Ethernet (1 - ether)',
      'vetha119e59: Ethernet (1 - ether)',
      'docker0: Ethernet (1 - ether)',
      'eth0: Linux cooked-mode capture v1 (25 - linux-sll)',
    ]);
  });

  it('without being told, such a hop falls back to Ethernet (the control)', async () => {
    expect(interfaces(await exported('unsaid.pcapng', false))[3]).toBe('eth0: Ethernet (1 - ether)');
  });
});
