import net from 'node:net';
import type { InfraError } from './types.ts';

export interface ServerProbe {
  name: string;
  url: string;
}

/**
 * The servers the target's integration, chaos and system tests use, with the same env overrides as
 * target/tests/support/infra-urls.js. The management API is one of them: every test namespace
 * creates its vhosts through it, so without it the whole suite fails with "fetch failed" (seen on a
 * fresh machine where the plugin was not enabled: 294 failures scored as if the tree were broken).
 */
export function defaultServers(env: Record<string, string | undefined> = process.env): ServerProbe[] {
  return [
    { name: 'PostgreSQL', url: env.DN_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres' },
    { name: 'Redis', url: env.DN_REDIS_URL || 'redis://127.0.0.1:6379' },
    { name: 'RabbitMQ', url: env.DN_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672' },
    { name: 'RabbitMQ management API', url: env.DN_RABBIT_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672' },
  ];
}

const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672, 'http:': 80 };

function connect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (err?: string): void => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done());
    socket.once('error', (e) => done(e.message));
  });
}

/**
 * TCP reachability of the servers, checked before a run so that "PostgreSQL is down" is reported as
 * an infrastructure error instead of hundreds of failing tests scored as if the agent broke them.
 */
export async function probeServers(servers: ServerProbe[] = defaultServers(), timeoutMs = 3000): Promise<InfraError | undefined> {
  const down: string[] = [];
  await Promise.all(servers.map(async (s) => {
    let u: URL;
    try {
      u = new URL(s.url);
    } catch {
      down.push(`${s.name}: invalid URL`);
      return;
    }
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol] ?? 0;
    const err = await connect(u.hostname, port, timeoutMs);
    if (err) down.push(`${s.name} at ${u.hostname}:${port}: ${err}`);
  }));
  if (down.length === 0) return undefined;
  return { code: 'GRADER_ERR_INFRA', message: `server unreachable: ${down.sort().join('; ')}` };
}
