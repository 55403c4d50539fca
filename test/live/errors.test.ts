import { beforeAll, describe, expect, it } from 'vitest';
import { AS_NOBODY, buildCli, hoptrace, labUp, skipReason, type LabEnv } from './support.js';

const skipRoot = skipReason(false);
const skip = skipReason();

describe.skipIf(skipRoot)(`a run without privileges${skipRoot ? ` (skipped: ${skipRoot})` : ''}`, () => {
  beforeAll(buildCli);

  it('is refused with exit 3, naming the missing capabilities and how to run', () => {
    const denied = hoptrace(['ping', 'web', '203.0.113.2'], {}, 30_000, AS_NOBODY);
    expect(denied.status).toBe(3);
    expect(denied.stderr).toBe(
      "hoptrace: not root: missing CAP_NET_RAW (open packet captures), CAP_NET_ADMIN (capture in promiscuous mode and read the nat table), CAP_SYS_ADMIN (enter the container's network namespace): run as root: sudo hoptrace ping web 203.0.113.2\n",
    );
  });
});

describe.skipIf(skip)(`Docker errors${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
  });
  // network modes none and host: test/live/host-none.test.ts

  it('names a container that does not exist, exit 4', () => {
    const result = hoptrace(['ping', 'htl-no-such-container', '203.0.113.2'], { DOCKER_HOST: lab!.dockerHost });
    expect(result.status).toBe(4);
    expect(result.stderr).toBe('hoptrace: no such container: htl-no-such-container\n');
  });

  it('names the socket when Docker cannot be reached, exit 4', () => {
    const result = hoptrace(['path', 'web'], { DOCKER_HOST: 'unix:///run/ht-no-such-docker.sock' });
    expect(result.status).toBe(4);
    expect(result.stderr).toBe('hoptrace: cannot reach Docker at unix:///run/ht-no-such-docker.sock: ENOENT (is dockerd running? set DOCKER_HOST to its socket)\n');
  });
});
