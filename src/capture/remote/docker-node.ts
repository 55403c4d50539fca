// A capture node reached through the Docker Engine API (dockerode: unix, tcp, ssh). The helper
// runs in a container of hoptrace's own image (image.ts): privileged, host network and pid
// namespaces, the overlay namespaces' directories bound in, its stdout attached back to us.
import Docker from 'dockerode';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WireReader, type WireRecord } from '../live/wire.js';
import { offsetFromSamples, parseRfc3339Ns, rfc3339ResolutionNs, wallClockNs, type ClockSample } from './clock.js';
import { dockerOptions } from './endpoint.js';
import { overOneSshConnection } from './ssh-agent.js';
import { FINGERPRINT_LABEL, HELPER_REPO, helperImageTar, IMAGE_ROOT, packageVersion, planHelperImage, type HelperImagePlan } from './image.js';
import { AGENT_SCRIPT, type CommandBatch } from './agent.js';
import type { CommandRunner } from '../../discover/overlay.js';
import type { RunResult } from '../../discover/netns.js';
import type { CaptureNode, ClockOffset, HelperEnd, HelperOptions, RemoteHelper } from './transport.js';

export const HELPER_LABEL = 'org.hoptrace.helper';
const CLIENT_LABEL = 'org.hoptrace.client';

/** The node could not be reached or refused what we asked: the message names the node and its endpoint. */
export class NodeError extends Error {}

export class DockerCaptureNode implements CaptureNode {
  /** The engine API client (discovery asks it for inspects). */
  readonly docker: Docker;
  private image?: string;

  /**
   * `imagePlan`: the helper image's plan, shared by every node of a trace so that its files
   * are hashed once per run (image.ts); planned here when not given.
   */
  constructor(readonly name: string, readonly endpoint: string, private readonly imagePlan?: Promise<HelperImagePlan>) {
    const options = dockerOptions(endpoint);
    this.docker = new Docker(options.protocol === 'ssh' ? overOneSshConnection(options) : options);
  }

  private fail(what: string, error: unknown): NodeError {
    const e = error as { code?: string; statusCode?: number; json?: { message?: string }; message?: string };
    const why = e.json?.message ?? e.code ?? e.message ?? String(error);
    return new NodeError(`host ${this.name} (${this.endpoint}): ${what}: ${why}`);
  }

  async prepare(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw this.fail('Docker engine unreachable', error);
    }
    this.image = await this.ensureImage();
  }

  /**
   * Our helper image on the node: reused when an image of its tag carries its fingerprint
   * (the tag holds the fingerprint's head, the label all of it), else loaded; helper images of
   * other contents are then removed unless a helper still runs on them.
   */
  private async ensureImage(): Promise<string> {
    const plan = await (this.imagePlan ?? planHelperImage(packageVersion()));
    const present = await this.docker.getImage(plan.tag).inspect().catch(() => undefined);
    if (present?.Config?.Labels?.[FINGERPRINT_LABEL] === plan.fingerprint) return plan.tag;
    try {
      const response = (await this.docker.loadImage(await helperImageTar(plan), { quiet: true })) as NodeJS.ReadableStream;
      const text = await streamText(response);
      const failure = text.split('\n').map((l) => tryJson(l)).find((m) => m?.errorDetail || m?.error);
      if (failure) throw new Error(failure.errorDetail?.message ?? failure.error);
    } catch (error) {
      throw this.fail(`loading the helper image ${plan.tag}`, error);
    }
    await this.removeOtherImages(plan.tag);
    return plan.tag;
  }

  private async removeOtherImages(keep: string): Promise<void> {
    const images = await this.docker.listImages({ filters: { reference: [HELPER_REPO] } }).catch(() => []);
    const stale = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${HELPER_REPO}:`) && t !== keep);
    // An image a helper of another run still uses stays (the engine refuses): the next load removes it.
    for (const tag of stale) await this.docker.getImage(tag).remove().catch(() => undefined);
  }

  async startHelper(options: HelperOptions): Promise<RemoteHelper> {
    const container = await this.createAgent({ ...options, heartbeatMs: HEARTBEAT_MS, silenceMs: AGENT_SILENCE_MS }, options.taps.map((t) => t.netns));
    return this.attachAndStart(container, true);
  }

  /** Discovery's commands, run together in one short-lived helper container on the node. */
  readonly commandRunner: CommandRunner = async (commands) => {
    const batch: CommandBatch = { commands: commands.map((c) => ({ netns: c.ns.path, cmd: c.cmd, args: c.args })) };
    const helper = await this.attachAndStart(await this.createAgent(batch, batch.commands.map((c) => c.netns)));
    const text = await helper.stdoutText();
    await helper.stop(); // returns once the container is gone, not only exited
    try {
      return JSON.parse(text) as RunResult[];
    } catch {
      throw new NodeError(`host ${this.name} (${this.endpoint}): the command helper printed no results (${(await helper.ended).problem ?? 'empty output'})`);
    }
  };

  /** A container of our image running the agent with `spec`; namespace files other than /proc/<pid>/ns/net are bound in. */
  private async createAgent(spec: object, netnsPaths: (string | undefined)[]): Promise<Docker.Container> {
    const image = this.image ?? (await this.ensureImage());
    this.image = image;
    // /proc/<pid>/ns/net is visible through --pid host; other namespace files (an overlay's) are bound in at the same path.
    const dirs = [...new Set(netnsPaths.flatMap((p) => (p && !p.startsWith('/proc/') ? [posix.dirname(p)] : [])))];
    try {
      return await this.docker.createContainer({
        Image: image,
        Cmd: [posix.join(IMAGE_ROOT, AGENT_SCRIPT), JSON.stringify(spec)],
        Labels: { [HELPER_LABEL]: packageVersion(), [CLIENT_LABEL]: `${hostname()}:${process.pid}` },
        AttachStdin: true, AttachStdout: true, AttachStderr: true, OpenStdin: true, StdinOnce: true, Tty: false,
        HostConfig: {
          // Not --privileged: that asks runc for every capability the engine knows, and fails
          // ("unable to apply caps") where the engine itself lacks one. These are what capture needs:
          // pcap sockets (NET_RAW, NET_ADMIN), setns (SYS_ADMIN), other processes' ns files (SYS_PTRACE).
          CapAdd: ['NET_RAW', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'],
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
          NetworkMode: 'host', PidMode: 'host', AutoRemove: true,
          Binds: dirs.map((d) => `${d}:${d}:ro`),
        },
      });
    } catch (error) {
      throw this.fail('creating the capture helper', error);
    }
  }

  /** `keepalive`: a capture helper, whose stream must never fall silent (a batch of commands may). */
  private async attachAndStart(container: Docker.Container, keepalive = false): Promise<DockerHelper> {
    let stream: Duplex;
    let exit: Promise<number | undefined>;
    try {
      // Attached before start, so not one byte of the helper's output is missed; the wait is
      // asked before start too, as `docker run --rm` does: with AutoRemove a wait asked after
      // the exit can find the container already gone and no exit code.
      stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      exit = container.wait({ condition: 'removed' }).then((r: { StatusCode: number }) => r.StatusCode, () => undefined);
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw this.fail('starting the capture helper', error);
    }
    return new DockerHelper(this.name, container, stream, exit, this.docker, keepalive);
  }

  async measureClock(roundTrips = 8): Promise<ClockOffset> {
    const samples: ClockSample[] = [];
    let resolution = 0n;
    for (let i = 0; i < roundTrips; i++) {
      const sentNs = wallClockNs();
      const info = (await this.docker.info().catch((error: unknown) => { throw this.fail('reading its clock', error); })) as { SystemTime?: string };
      const receivedNs = wallClockNs();
      const remoteNs = parseRfc3339Ns(info.SystemTime ?? '');
      if (remoteNs === undefined) throw new NodeError(`host ${this.name} (${this.endpoint}): unreadable SystemTime ${JSON.stringify(info.SystemTime)}`);
      resolution = rfc3339ResolutionNs(info.SystemTime!);
      samples.push({ sentNs, receivedNs, remoteNs });
    }
    return offsetFromSamples(samples, resolution);
  }

  async removeLeftovers(): Promise<number> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } });
    const stale = listed.filter((c) => !clientAlive(c.Labels[CLIENT_LABEL]));
    for (const c of stale) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    return stale.length;
  }
}

/** A helper is stale when the run that started it (same client machine, its pid) is gone. */
function clientAlive(label: string | undefined): boolean {
  const m = /^(.*):(\d+)$/.exec(label ?? '');
  if (!m || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Keepalive both ways over the attach stream, whatever the transport: we write a byte to the
 * helper's stdin every HEARTBEAT_MS (the agent stops its captures after AGENT_SILENCE_MS
 * without one), and every tap's helper sends its kernel counts each second, so a capture
 * stream silent for SILENCE_MS is a lost host (a partition drops packets without a reset,
 * and TCP alone would take minutes to notice).
 */
export const HEARTBEAT_MS = 1000;
export const SILENCE_MS = 5000;
export const AGENT_SILENCE_MS = 10_000;
/** The longest an API call to a lost host may take at the end (removing its helper). */
const LOST_CALL_MS = 3000;

class DockerHelper implements RemoteHelper {
  readonly ended: Promise<HelperEnd>;
  private readonly listeners: ((record: WireRecord) => void)[] = [];
  private readonly reader = new WireReader();
  private stopping?: Promise<HelperEnd>;
  private readonly stdout = new PassThrough();
  private lost?: string;
  private heard = Date.now();

  constructor(readonly node: string, private readonly container: Docker.Container, private readonly stream: Duplex, exit: Promise<number | undefined>, docker: Docker, keepalive: boolean) {
    const stderr = new PassThrough();
    let errText = '';
    docker.modem.demuxStream(stream, this.stdout, stderr);
    stderr.on('data', (chunk: Buffer) => (errText = (errText + chunk.toString()).slice(-400)));
    const watchdog = keepalive ? this.keepalive() : undefined;
    this.ended = new Promise((resolve) => {
      stream.on('error', (error) => (this.lost ??= `connection lost: ${error.message}`));
      stream.on('close', () => {
        if (watchdog) clearInterval(watchdog);
        this.stdout.end();
        // A lost host answers no wait: its end is known now.
        if (this.lost) return resolve({ problem: this.lost });
        // Otherwise the exit code, at most 10 s later (a connection that died quietly).
        void Promise.race([exit, sleep(10_000, undefined, { ref: false })]).then((exitCode) => {
          const tail = errText.trim().split('\n').pop();
          const problem = exitCode === undefined ? 'the stream closed before the helper\'s exit status was known'
            : exitCode !== 0 ? `helper exited ${exitCode}${tail ? `: ${tail}` : ''}` : undefined;
          resolve({ exitCode, problem });
        });
      });
    });
  }

  /** Our heartbeat to the agent, and the watch on what it sends; the watch starts with its first bytes (before, the start's own timeout holds). */
  private keepalive(): NodeJS.Timeout {
    let started = false;
    this.stream.on('data', () => {
      started = true;
      this.heard = Date.now();
    });
    const timer = setInterval(() => {
      if (this.stream.destroyed || this.stream.writableEnded) return;
      this.stream.write('\n');
      const silent = Date.now() - this.heard;
      if (!started || silent < SILENCE_MS) return;
      this.lost = `connection lost: nothing heard from its capture helper for ${Math.round(silent / 1000)} s`;
      this.stream.destroy();
    }, HEARTBEAT_MS);
    timer.unref();
    return timer;
  }

  onRecord(listener: (record: WireRecord) => void): void {
    if (this.listeners.length === 0) {
      this.stdout.on('data', (chunk: Buffer) => {
        for (const record of this.reader.push(chunk)) for (const l of this.listeners) l(record);
      });
    }
    this.listeners.push(listener);
  }

  /** The whole stdout as text, once the stream has ended (the command batch's JSON). */
  async stdoutText(): Promise<string> {
    const chunks: Buffer[] = [];
    this.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => this.stdout.once('end', resolve));
    await this.ended;
    return Buffer.concat(chunks).toString();
  }

  stop(): Promise<HelperEnd> {
    this.stopping ??= (async () => {
      // stdin EOF: the agent stops its helpers, they flush, it exits (a lost stream has nobody to tell).
      if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
      const timer = sleep(8000, undefined, { ref: false });
      const end = await Promise.race([this.ended, timer]);
      if (!end) this.stream.destroy();
      if (this.lost) {
        // One try, bounded: a host still cut off keeps the container until the agent notices
        // our silence (AGENT_SILENCE_MS) and exits, or the next run sweeps it.
        await this.container.remove({ force: true, abortSignal: AbortSignal.timeout(LOST_CALL_MS) }).catch(() => undefined);
        return end ?? { problem: this.lost };
      }
      await this.container.remove({ force: true }).catch(() => undefined); // AutoRemove usually got there first
      await gone(this.container);
      return end ?? { problem: 'helper did not stop within 8 s; removed' };
    })();
    return this.stopping;
  }
}

/** Until the engine no longer knows the container (AutoRemove finishes after the stream closes), at most 10 s. */
async function gone(container: Docker.Container): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const present = await container.inspect().then(() => true, (e: { statusCode?: number }) => e.statusCode !== 404);
    if (!present) return;
    await sleep(100);
  }
}

function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

function tryJson(line: string): { error?: string; errorDetail?: { message?: string } } | undefined {
  try {
    return JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
  } catch {
    return undefined;
  }
}
