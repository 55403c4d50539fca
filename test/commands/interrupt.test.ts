// Ctrl-C and SIGTERM end a live trace (src/commands/interrupt.ts), in-process with a fake
// terminal: which keys stop it, that the terminal's raw mode is set and given back, that a
// Ctrl-C during discovery ends the command with exit 1 and one line, and that a stop asked
// for before there is a trace still reaches it.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listenForInterrupt, type Interrupt } from '../../src/commands/interrupt.js';
import { FatalError } from '../../src/errors.js';

class FakeTty extends EventEmitter {
  isTTY: boolean | undefined = true;
  raw: boolean[] = [];
  paused = 0;
  resumed = 0;
  setRawMode(on: boolean) {
    this.raw.push(on);
    return this;
  }
  resume() {
    this.resumed++;
    return this;
  }
  pause() {
    this.paused++;
    return this;
  }
}

const open: Interrupt[] = [];
function listen(options: { readKeys: boolean; stdin?: FakeTty }): Interrupt {
  const interrupt = listenForInterrupt({ readKeys: options.readKeys, stdin: options.stdin as unknown as NodeJS.ReadStream });
  open.push(interrupt);
  return interrupt;
}
afterEach(() => {
  for (const i of open.splice(0)) i.dispose();
});

describe('keys read from a terminal', () => {
  it('sets raw mode and reads keys; Ctrl-C stops the trace', () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    expect({ raw: tty.raw, resumed: tty.resumed, listening: tty.listenerCount('data') }).toEqual({ raw: [true], resumed: 1, listening: 1 });
    const stop = vi.fn();
    interrupt.onStop(stop);
    tty.emit('data', Buffer.from('q'));
    expect(stop).not.toHaveBeenCalled();
    expect(interrupt.requested).toBe(false);
    tty.emit('data', Buffer.from([0x61, 0x03]));
    expect(stop).toHaveBeenCalledTimes(1);
    expect(interrupt.requested).toBe(true);
  });

  it('Ctrl-\\ stops it too', () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    const stop = vi.fn();
    interrupt.onStop(stop);
    tty.emit('data', Buffer.from([0x1c]));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('dispose gives the terminal back: raw mode off, paused, no key listener', () => {
    const tty = new FakeTty();
    listen({ readKeys: true, stdin: tty });
    open.pop()!.dispose();
    expect({ raw: tty.raw, paused: tty.paused, listening: tty.listenerCount('data') }).toEqual({ raw: [true, false], paused: 1, listening: 0 });
  });

  it('leaves the terminal alone when keys are not to be read (the Ink UI reads its own)', () => {
    const tty = new FakeTty();
    listen({ readKeys: false, stdin: tty });
    open.pop()!.dispose();
    expect({ raw: tty.raw, paused: tty.paused, resumed: tty.resumed, listening: tty.listenerCount('data') }).toEqual({ raw: [], paused: 0, resumed: 0, listening: 0 });
  });

  it('leaves stdin alone when it is not a terminal (a pipe)', () => {
    const pipe = new FakeTty();
    pipe.isTTY = undefined;
    listen({ readKeys: true, stdin: pipe });
    open.pop()!.dispose();
    expect({ raw: pipe.raw, paused: pipe.paused, resumed: pipe.resumed }).toEqual({ raw: [], paused: 0, resumed: 0 });
  });

  it('leaves a terminal without setRawMode alone', () => {
    const tty = new FakeTty();
    (tty as { setRawMode?: unknown }).setRawMode = undefined;
    listen({ readKeys: true, stdin: tty });
    open.pop()!.dispose();
    expect({ paused: tty.paused, resumed: tty.resumed, listening: tty.listenerCount('data') }).toEqual({ paused: 0, resumed: 0, listening: 0 });
  });
});

describe('signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} stops the trace, and is no longer listened to after dispose`, () => {
      const before = process.listenerCount(signal);
      const interrupt = listen({ readKeys: false, stdin: new FakeTty() });
      expect(process.listenerCount(signal)).toBe(before + 1);
      const stop = vi.fn();
      interrupt.onStop(stop);
      process.emit(signal, signal);
      expect(stop).toHaveBeenCalledTimes(1);
      open.pop()!.dispose();
      expect(process.listenerCount(signal)).toBe(before);
    });
  }
});

describe('before there is a trace', () => {
  it('a stop asked for before onStop is carried out as soon as onStop is given', () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    tty.emit('data', Buffer.from([0x03]));
    const stop = vi.fn();
    interrupt.onStop(stop);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('discovery that finishes passes its value through', async () => {
    const interrupt = listen({ readKeys: false, stdin: new FakeTty() });
    await expect(interrupt.before(Promise.resolve('path'))).resolves.toBe('path');
  });

  it('a Ctrl-C during discovery ends it with exit 1 and one line', async () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    const discovery = interrupt.before(new Promise<string>(() => undefined));
    tty.emit('data', Buffer.from([0x03]));
    const error = await discovery.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    expect(error).toMatchObject({ message: 'interrupted before the capture started: nothing was captured', exitCode: 1 });
  });

  it('a Ctrl-C that came before discovery started ends it at once', async () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    tty.emit('data', Buffer.from([0x03]));
    await expect(interrupt.before(new Promise<string>(() => undefined))).rejects.toThrow('interrupted before the capture started: nothing was captured');
  });

  it('a Ctrl-C after discovery finished does not reject it afterwards', async () => {
    const tty = new FakeTty();
    const interrupt = listen({ readKeys: true, stdin: tty });
    await expect(interrupt.before(Promise.resolve(1))).resolves.toBe(1);
    const stop = vi.fn();
    interrupt.onStop(stop);
    tty.emit('data', Buffer.from([0x03]));
    expect(stop).toHaveBeenCalledTimes(1);
  });
});
