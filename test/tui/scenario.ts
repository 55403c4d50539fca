import { DOCKER_PATH, pingFrames } from './frames.js';
import { fedSession, type FedSession } from './session.js';

/**
 * Two pings from the container on the docker0 path, played through the real tracer: one
 * answered (SNAT at docker0→eth0), one that vanishes between docker0 and eth0.
 */
export function twoPings(): FedSession {
  const session = fedSession(DOCKER_PATH, ['replay of two pings built in the test']);
  return session;
}

export function playTwoPings(session: FedSession): void {
  session.feed(pingFrames({ startUs: 0, dst: '203.0.113.9', seq: 1, ipId: 100 }));
  session.feed(pingFrames({ startUs: 2000, dst: '203.0.113.50', seq: 1, ipId: 200, lostAfter: 2 }));
  session.settle();
}

/** `count` answered pings to as many destinations: many flows, one packet pair each. */
export function playManyPings(session: FedSession, count: number, startUs = 10_000): void {
  for (let i = 0; i < count; i++) {
    const dst = `203.0.113.${100 + (i % 150)}`;
    session.feed(pingFrames({ startUs: startUs + i * 2000, dst, seq: 1 + Math.floor(i / 150), ipId: 1000 + i }));
  }
  session.settle();
}
