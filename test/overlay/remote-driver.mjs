// Drives one remote capture node from a separate process, so a test can run it inside the
// multi-host lab's outside namespace (the only place that reaches tcp://203.0.113.3:2375).
//   node remote-driver.mjs '{"name":"h2","endpoint":"tcp://...","taps":[...],"ringPackets":4096}'
// Prints one JSON line per event; "stop" on stdin stops the helper; exits after "end".
import { createInterface } from 'node:readline';
import { DockerCaptureNode } from '../../dist/capture/remote/docker-node.js';
import { collectOverlayFacts, overlayPath } from '../../dist/discover/overlay.js';

const say = (event, body = {}) => process.stdout.write(`${JSON.stringify({ event, ...body })}\n`);
const opts = JSON.parse(process.argv[2]);
const node = new DockerCaptureNode(opts.name, opts.endpoint);
try {
  say('leftovers', { removed: await node.removeLeftovers().catch((e) => -1) });
  let t = performance.now();
  await node.prepare();
  say('prepared', { ms: Math.round(performance.now() - t) });
  const clock = await node.measureClock(8);
  say('clock', { offsetNs: String(clock.offsetNs), uncertaintyNs: String(clock.uncertaintyNs), samples: clock.samples });
  if (opts.discover) {
    t = performance.now();
    const { facts, namespaces } = await collectOverlayFacts(node.docker, opts.discover.container, opts.discover.network, { label: opts.name }, node.commandRunner);
    say('path', { path: overlayPath(facts, namespaces), ms: Math.round(performance.now() - t) });
  }
  if (opts.clockOnly || opts.discover) process.exit(0);
  t = performance.now();
  const helper = await node.startHelper({ taps: opts.taps, ringPackets: opts.ringPackets });
  let readies = 0;
  helper.onRecord((r) => {
    if (r.type === 'packet') say('packet', { hop: r.hop, tsSec: r.tsSec, tsNsec: r.tsNsec, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') });
    else if (r.type === 'ready') {
      say('ready', { hop: r.hop, iface: r.iface, linkType: r.linkType, ms: Math.round(performance.now() - t) });
      if (++readies === opts.taps.length) {
        say('all-ready');
        if (opts.crash) process.kill(process.pid, 'SIGKILL'); // a run that dies without cleaning up
      }
    } else say(r.type, r);
  });
  const stop = async () => say('end', await helper.stop());
  helper.ended.then((end) => say('ended', end));
  createInterface({ input: process.stdin }).on('line', (line) => line === 'stop' && void stop().then(() => process.exit(0)));
} catch (error) {
  say('error', { message: error.message });
  process.exit(4);
}
