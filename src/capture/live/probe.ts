// Traffic from inside the traced namespace: the helper runs there (nsenter --net), so a plain
// socket of ours leaves by the container's own interface; the container's image needs nothing.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

export interface ProbeSpec {
  mode: 'tcp' | 'udp';
  host: string;
  port: number;
  timeoutMs: number;
}

/** What the probe saw, printed as one JSON line on stdout. */
export interface ProbeResult {
  ok: boolean;
  /** connected, refused, timeout, sent, answered... */
  outcome: string;
  ms: number;
}

export async function runProbe(spec: ProbeSpec): Promise<void> {
  const started = process.hrtime.bigint();
  const outcome = spec.mode === 'tcp' ? await tcpConnect(spec) : await udpSend(spec);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const result: ProbeResult = { ok: outcome === 'connected' || outcome === 'sent' || outcome === 'answered', outcome, ms };
  await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(result)}\n`, () => resolve()));
}

function tcpConnect(spec: ProbeSpec): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port });
    const finish = (outcome: string): void => {
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), spec.timeoutMs);
    socket.on('connect', () => {
      clearTimeout(timer);
      // A clean close (FIN both ways) so the trace shows the whole conversation.
      socket.end(() => resolve('connected'));
      setTimeout(() => finish('connected'), 1000).unref();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      finish(error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? 'error'));
    });
  });
}

function udpSend(spec: ProbeSpec): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket(spec.host.includes(':') ? 'udp6' : 'udp4');
    let outcome = 'sent';
    const finish = (): void => {
      socket.close();
      resolve(outcome);
    };
    const timer = setTimeout(finish, spec.timeoutMs);
    socket.on('message', () => {
      outcome = 'answered';
      clearTimeout(timer);
      finish();
    });
    // A connected UDP socket reports an ICMP port unreachable as ECONNREFUSED.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      outcome = error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? 'error');
      clearTimeout(timer);
      finish();
    });
    socket.connect(spec.port, spec.host, () => socket.send(Buffer.from('hoptrace probe\n')));
  });
}
