import t from 'tap';
import { Channel } from '../../src/fuse/kernel/channel.js';

/** The addon's interface as Channel.open takes it, and the server handle it returns (neither is exported). */
type FuseNative = NonNullable<Parameters<typeof Channel.open>[3]>;
type ServerHandle = ReturnType<FuseNative['fuseServe']>;

/** A stand-in for the addon's /dev/fuse functions: records writes, and lets the test end the connection. */
function fakeNative() {
  const writes: number[] = [];
  const closed: number[] = [];
  let deliver: (batch: Buffer[] | null, errno?: number) => void = () => undefined;
  const native = {
    mountEnv: '',
    fuseMount: async (_mnt: Buffer, _options: string, env: Buffer): Promise<number> => ((native.mountEnv = env.toString()), 99),
    // A branded handle, made only by the addon: the fake's stand-in has to be cast.
    fuseServe: (_fd: number, cb: typeof deliver) => ((deliver = cb), {} as ServerHandle),
    fuseReply: (fd: number) => (writes.push(fd), 0),
    fuseNotify: (): boolean => (writes.push(-1), true),
  };
  return { native, writes, closed, end: (errno: number) => deliver(null, errno), request: (b: Buffer) => deliver([b]) };
}

t.test('replies after the kernel ended the connection are dropped, never written to the closed fd', async (t) => {
  const fake = fakeNative();
  const logs: string[] = [];
  // The fd is a real one opened for the test, so closing it is harmless.
  const { openSync } = await import('node:fs');
  const fd = openSync('/dev/null', 'r');
  const ChannelCtor = Channel as unknown as new (native: unknown, fd: number, log: (l: string) => void) => Channel;
  const channel = new ChannelCtor(fake.native, fd, (l) => logs.push(l));
  const seen: Buffer[] = [];
  channel.serve((req) => seen.push(req));
  fake.request(Buffer.from('req'));
  channel.reply([Buffer.from('answer')]);
  channel.notify([Buffer.from('store')]);
  t.same(fake.writes, [fd, -1], 'a reply and a notice while connected');
  fake.end(19);
  channel.reply([Buffer.from('late answer')]);
  channel.notify([Buffer.from('late store')]);
  await channel.closed;
  channel.reply([Buffer.from('later still')]);
  t.same(fake.writes, [fd, -1], 'nothing written once the connection ended');
  t.same(logs, [], 'an unmount (ENODEV) is no news');
  t.equal(seen.length, 1);
});

t.test('fusermount gets the environment without the password and other ROZEN_ variables', async (t) => {
  const fake = fakeNative();
  process.env['ROZEN_PASSWORD'] = 'secret-for-the-test';
  t.teardown(() => delete process.env['ROZEN_PASSWORD']);
  await Channel.open('/mnt/x', { allowOther: false }, () => undefined, fake.native);
  const names = fake.native.mountEnv
    .split('\0')
    .filter(Boolean)
    .map((e) => e.split('=')[0]);
  t.ok(names.includes('PATH'), 'the rest of the environment is there');
  t.same(
    names.filter((n) => n?.startsWith('ROZEN_')),
    [],
    'no ROZEN_ variable',
  );
  t.notMatch(fake.native.mountEnv, /secret-for-the-test/);
  t.ok(fake.native.mountEnv.endsWith('\0'), 'every entry ends with a NUL');
});
