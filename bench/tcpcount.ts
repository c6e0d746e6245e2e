/**
 * A loopback TCP relay that counts what one command costs the registry: TCP connections accepted and
 * HTTP/1.1 requests sent (request lines at the start of what the client writes after each response; the
 * bench's registry is plain HTTP). Bodies are not parsed: a request line is counted only where a request
 * can start, at a connection's first byte or after the server has answered.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const REQUEST_LINE = /^(GET|HEAD|PUT|POST|PATCH|DELETE) \S+ HTTP\/1\.[01]\r\n/;

export interface Counted {
  connections: number;
  requests: string[];
}

export interface TcpCounter {
  /** `127.0.0.1:<port>`, to use as the registry host. */
  host: string;
  /** Counts since the last call, then starts again from zero. */
  take(): Counted;
  close(): Promise<void>;
}

/** Starts a relay in front of `targetPort`. */
export async function tcpCounter(targetPort: number): Promise<TcpCounter> {
  let counted: Counted = { connections: 0, requests: [] };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    counted.connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let mayStart = true; // the next client bytes may begin a request
    client.on('data', (chunk: Buffer) => {
      if (mayStart) {
        const line = REQUEST_LINE.exec(chunk.subarray(0, 4096).toString('latin1'));
        if (line) counted.requests.push(line[0].trim().split(' ').slice(0, 2).join(' '));
        mayStart = false;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      mayStart = true;
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('counter has no address');
  return {
    host: `127.0.0.1:${address.port}`,
    take: () => {
      const out = counted;
      counted = { connections: 0, requests: [] };
      return out;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
