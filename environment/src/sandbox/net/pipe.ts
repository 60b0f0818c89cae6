import net from 'node:net';

/** Where a gate forwards what it lets through: the real server. */
export interface Upstream {
  host: string;
  port: number;
}

/**
 * Joins a sandbox connection to a fresh connection to the real server, sending `first` (what the
 * gate already read and accepted) ahead of the rest. Either side closing closes the other.
 */
export function pipeBoth(client: net.Socket, upstream: Upstream, first: Buffer): net.Socket {
  const server = net.connect(upstream.port, upstream.host);
  server.setNoDelay(true);
  if (first.length > 0) server.write(first);
  client.pipe(server);
  server.pipe(client);
  const close = (): void => {
    client.destroy();
    server.destroy();
  };
  client.on('error', close).on('close', close);
  server.on('error', close).on('close', close);
  return server;
}

export function parseUpstream(url: string, defaultPort: number): Upstream {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || defaultPort) };
}
