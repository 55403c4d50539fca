// A flow whose requests the capture filter left out (`watch 'tcp or icmp'` keeps the port
// unreachable, not the UDP query it answers) says that its requests were not captured.
// Made from the dns-unreachable recording with tcpdump keeping 'icmp' only, as libpcap would.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const fixture = path.join(root, 'fixtures', 'dns-unreachable');
const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-reply-only-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOTE = 'note: none of its requests was captured (left out by the capture filter, or sent before the capture started): only the answer was seen';

function replay(trace: string): { stdout: string; status: number | null } {
  const run = spawnSync(process.execPath, [cli, 'replay', trace, '--text'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { stdout: run.stdout, status: run.status };
}

describe.skipIf(!hasTcpdump)('a flow seen by its answer alone', () => {
  it("says none of its requests was captured, under the flow whose headline counts 0 requests", () => {
    fs.copyFileSync(path.join(fixture, 'path.json'), path.join(dir, 'path.json'));
    for (const file of fs.readdirSync(fixture).filter((f) => f.endsWith('.pcap'))) {
      execFileSync('tcpdump', ['-r', path.join(fixture, file), '-w', path.join(dir, file), 'icmp'], { stdio: 'ignore' });
    }
    const { stdout, status } = replay(dir);
    expect(status).toBe(1);
    const lines = stdout.split('\n');
    expect(lines).toContain('flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: rejected (0 requests, 2 replies)');
    expect(lines[lines.indexOf(`  ${NOTE}`) + 1]).toBe('  verdict: rejected: ICMP port unreachable from 203.0.113.2, beyond eth0, answered the request.');
  });

  it('is not said where the requests were captured', () => {
    const { stdout } = replay(fixture);
    expect(stdout).toContain('flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: rejected (2 requests, 2 replies)');
    expect(stdout).not.toContain('none of its requests');
  });
});
