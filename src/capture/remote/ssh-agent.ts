// Docker over ssh:// as the docker CLI does it (`docker system dial-stdio` on the far side), but
// over ONE SSH connection per host: docker-modem opens a new SSH connection (key exchange, login)
// for every API call, and a trace makes a score of calls (ping, image, inspects, clock round
// trips, containers), which cost ~30 s of start-up on a loaded machine. Here each HTTP
// connection is a dial-stdio channel of the shared connection, kept alive between requests, and
// SSH's own keepalive ends the connection (and every channel) when the host stops answering.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

interface SshClient {
  on(event: 'ready' | 'close', listener: () => void): SshClient;
  on(event: 'error', listener: (error: Error) => void): SshClient;
  connect(config: object): void;
  exec(command: string, callback: (error: Error | undefined, stream: Duplex) => void): void;
  end(): void;
}

/** ssh2, as dockerode's docker-modem depends on it (no types are installed for it). */
function sshClient(): SshClient {
  const require = createRequire(import.meta.url);
  const { Client } = require(require.resolve('ssh2', { paths: [require.resolve('dockerode')] })) as { Client: new () => SshClient };
  return new Client();
}

/** SSH keepalive: a probe each second, the connection given up after 5 unanswered. */
const KEEPALIVE = { keepaliveInterval: 1000, keepaliveCountMax: 5 };

/** Options for dockerode: plain HTTP whose connections are dial-stdio channels of one SSH connection. */
export function overOneSshConnection(options: Docker.DockerOptions): Docker.DockerOptions {
  const config = { host: options.host, port: options.port, username: options.username, ...(options as { sshOptions?: object }).sshOptions, ...KEEPALIVE };
  let connection: Promise<SshClient> | undefined;
  const connect = (): Promise<SshClient> => (connection ??= new Promise((resolve, reject) => {
    const client = sshClient();
    client.on('ready', () => resolve(client));
    client.on('error', (error) => {
      connection = undefined;
      reject(error);
    });
    client.on('close', () => (connection = undefined));
    client.connect(config);
  }));
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000 });
  // http asks for a connection with a callback: a channel running dial-stdio, shaped as a socket.
  (agent as unknown as { createConnection: (o: object, cb: (e: Error | null, s?: Duplex) => void) => undefined }).createConnection = (_o, cb) => {
    connect().then(
      (client) => client.exec('docker system dial-stdio', (error, stream) => (error ? cb(error) : cb(null, asSocket(stream)))),
      (error: Error) => cb(error),
    );
    return undefined;
  };
  return { protocol: 'http', host: options.host, port: options.port, agent } as Docker.DockerOptions;
}

/** What http's agent calls on a socket that a channel does not have. */
function asSocket(stream: Duplex): Duplex {
  const socket = stream as Duplex & Record<string, unknown>;
  for (const name of ['setKeepAlive', 'setNoDelay', 'ref', 'unref']) socket[name] ??= () => socket;
  socket.setTimeout ??= (_ms: number, cb?: () => void) => (cb && socket.once('timeout', cb), socket);
  return socket;
}
