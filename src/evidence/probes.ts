// The doctor's three probes, run inside a container's network namespace with this machine's
// own tools (nsenter + node, ping or busybox ping), so the container needs none of them.
import { type Netns, runIn } from '../discover/netns.js';

export type ProbeOutcome = 'ok' | 'refused' | 'timeout' | 'error';

export interface ProbeResult {
  outcome: ProbeOutcome;
  /** The client's source port, when the probe knows it (TCP, DNS). */
  sport?: number;
  /** The OS error or the tool's message, for outcome 'error'. */
  message?: string;
}

// A child node process in the namespace: connects (tcp) or asks one DNS question (dns) and
// prints one JSON line. dns.Resolver reports ECONNREFUSED for an ICMP port unreachable.
const SCRIPT = `
const [kind, host, port, name, ms] = process.argv.slice(1);
const done = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
const classify = (code) => code === 'ECONNREFUSED' ? 'refused' : code === 'ETIMEOUT' || code === 'ETIMEDOUT' ? 'timeout' : 'error';
if (kind === 'tcp') {
  const s = require('net').connect({ host, port: Number(port) });
  s.setTimeout(Number(ms), () => done({ outcome: 'timeout' }));
  s.on('connect', () => { const sport = s.localPort; s.destroy(); done({ outcome: 'ok', sport }); });
  s.on('error', (e) => done({ outcome: classify(e.code), message: e.code }));
} else {
  const r = new (require('dns').promises.Resolver)({ timeout: Number(ms), tries: 1 });
  r.setServers([host + ':' + port]);
  r.resolve4(name).then(() => done({ outcome: 'ok' }), (e) =>
    done(e.code === 'ENOTFOUND' || e.code === 'ENODATA' ? { outcome: 'ok' } : { outcome: classify(e.code), message: e.code }));
}`;

export async function probeTcp(ns: Netns, host: string, port: number, timeoutMs = 2000): Promise<ProbeResult> {
  return nodeProbe(ns, ['tcp', host, String(port), '', String(timeoutMs)], timeoutMs);
}

/** Any answer, NXDOMAIN included, means the resolver works. */
export async function probeDns(ns: Netns, server: string, name: string, timeoutMs = 2000): Promise<ProbeResult> {
  return nodeProbe(ns, ['dns', server, '53', name, String(timeoutMs)], timeoutMs);
}

async function nodeProbe(ns: Netns, args: string[], timeoutMs: number): Promise<ProbeResult> {
  const r = await runIn(ns, process.execPath, ['-e', SCRIPT, ...args], timeoutMs + 5000);
  try {
    return JSON.parse(r.stdout) as ProbeResult;
  } catch {
    return { outcome: 'error', message: r.stderr.trim().split('\n')[0] || `exit ${r.code}` };
  }
}

export async function probeIcmp(ns: Netns, host: string, timeoutMs = 2000): Promise<ProbeResult> {
  const secs = String(Math.max(1, Math.round(timeoutMs / 1000)));
  for (const [cmd, pre] of [['ping', []], ['busybox', ['ping']]] as [string, string[]][]) {
    const r = await runIn(ns, cmd, [...pre, '-c', '1', '-W', secs, host], timeoutMs + 5000);
    if (r.code === 127 || /not found|ENOENT/.test(r.stderr)) continue;
    if (r.code === 0) return { outcome: 'ok' };
    const message = r.stderr.trim().split('\n')[0];
    return message ? { outcome: 'error', message } : { outcome: 'timeout' };
  }
  return { outcome: 'error', message: 'neither ping nor busybox is installed' };
}
