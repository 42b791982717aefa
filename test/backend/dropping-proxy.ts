/** An HTTP proxy for tests that cuts chosen GET responses off halfway through the body. */
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DroppingProxy {
  readonly endpoint: string;
  /** Cut the next `n` GET responses. */
  drop(n: number): void;
  dropped(): number;
  close(): Promise<void>;
}

/** A proxy in front of s3rver that cuts the next `drops` GET responses off halfway through the body. */
export async function startDroppingProxy(target: string): Promise<DroppingProxy> {
  const upstream = new URL(target);
  let drops = 0;
  let dropped = 0;
  const server: Server = createServer((req, res) => {
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 500, upRes.headers);
        const length = Number(upRes.headers['content-length'] ?? 0);
        if (req.method !== 'GET' || drops === 0 || length < 2) {
          upRes.pipe(res);
          return;
        }
        drops -= 1;
        dropped += 1;
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          const room = Math.floor(length / 2) - sent;
          if (room <= 0) return;
          res.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.byteLength);
          if (sent >= Math.floor(length / 2)) setTimeout(() => res.socket?.destroy(), 20);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    drop: (n) => (drops = n),
    dropped: () => dropped,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
