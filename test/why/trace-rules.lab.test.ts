// --trace-rules in the real lab: the kernel's own trace names the rule, only the traced flow
// is traced, and the temporary table is gone after stop(), SIGTERM and SIGINT.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../src/evidence/collect.js';
import { finalDrop, type RuleTrace, ruleOfEvent, startRuleTrace, traceTablePresent } from '../../src/evidence/trace-rules.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';

const skip = labSkipReason();
const OUT = '203.0.113.2';
const BUILT = join(import.meta.dirname, '..', '..', 'dist', 'evidence', 'trace-rules.js');

describe.skipIf(skip)(`--trace-rules${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 60_000 }, () => {
  let l: CauseLab;
  beforeAll(() => {
    l = causeLab();
    l.restore();
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => l?.restore());

  it('names the rule that dropped the traced packet, traces nothing else, and removes its table', async () => {
    const c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'icmp', '-j', 'DROP']);
    const trace = await startRuleTrace(l.hostNs, [{ family: 4, a: c1, b: OUT }], 'hoptrace_trace_test');
    expect(await traceTablePresent(l.hostNs, 'hoptrace_trace_test')).toBe(true);
    l.tryExec('container:why1', `ping -c 1 -W 1 ${OUT}`);
    l.tryExec('container:why1', `ping -c 1 -W 1 ${l.lab.env.internetAddr}`);
    await trace.stop();
    expect(await traceTablePresent(l.hostNs, 'hoptrace_trace_test')).toBe(false);
    const snap = await collectSnapshot(l.hostNs, { interfaces: [], routes: [] });
    const drop = finalDrop(trace.events);
    expect(drop).toMatchObject({ table: 'filter', chain: 'DOCKER-USER', kind: 'rule', verdict: 'drop' });
    expect(ruleOfEvent(drop!, snap.ruleset)?.text).toBe('-A DOCKER-USER -p icmp -j DROP');
    const traced = trace.events.filter((e) => e.kind === 'packet').map((e) => /ip daddr (\S+)/.exec(e.text)?.[1]);
    expect(new Set(traced)).toEqual(new Set([OUT]));
  });

  it('reports the first packet sent once it is ready, on a host whose ruleset takes a while to read, and a rule added during the trace', async () => {
    // 100,000 rules: `nft monitor trace` reads them all before it listens, for longer than the
    // 300 ms the trace once waited for it blindly (which missed this first packet).
    const bulk = Array.from({ length: 100_000 }, (_, i) => `  ip daddr 198.19.${(i >> 8) & 255}.${i & 255} counter accept\n`).join('');
    const c1 = testContainer(l, 'why1');
    l.lab.exec('host', ['nft', '-f', '-'], { input: `table inet whybulk {\n chain c {\n${bulk} }\n}\n`, timeoutMs: 60_000 });
    let trace: RuleTrace;
    try {
      trace = await startRuleTrace(l.hostNs, [{ family: 4, a: c1, b: OUT }], 'hoptrace_trace_test');
      l.tryExec('container:why1', `ping -c 1 -W 1 ${OUT}`);
      l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'icmp', '-j', 'DROP']);
      l.tryExec('container:why1', `ping -c 1 -W 1 ${OUT}`);
      await trace.stop();
    } finally {
      l.lab.exec('host', ['nft', 'delete', 'table', 'inet', 'whybulk']);
    }
    const requests = trace.events.filter((e) => e.kind === 'packet' && e.text.includes(`ip daddr ${OUT} `) && e.text.includes('icmp type echo-request'));
    expect(new Set(requests.map((e) => /ip id (\d+)/.exec(e.text)?.[1])).size).toBe(2);
    const drop = finalDrop(trace.events);
    expect(drop).toMatchObject({ chain: 'DOCKER-USER', verdict: 'drop', text: `unknown rule handle ${drop?.handle}` });
    const snap = await collectSnapshot(l.hostNs, { interfaces: [], routes: [] });
    expect(ruleOfEvent(drop!, snap.ruleset)?.text).toBe('-A DOCKER-USER -p icmp -j DROP');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`removes its table when the process gets ${signal}`, async () => {
      expect(existsSync(BUILT), 'npm run build first').toBe(true);
      const script = `import(${JSON.stringify(BUILT)}).then(async (m) => {
        await m.startRuleTrace({ label: 'host', path: ${JSON.stringify(l.hostNs.path)} }, [{ family: 4, a: '198.18.0.2', b: '${OUT}' }], 'hoptrace_trace_sig');
        process.stdout.write('ready\\n');
        setInterval(() => {}, 1000);
      });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
      expect(await traceTablePresent(l.hostNs, 'hoptrace_trace_sig')).toBe(true);
      const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(await traceTablePresent(l.hostNs, 'hoptrace_trace_sig')).toBe(false);
    });
  }
});
