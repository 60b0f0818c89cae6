import { createRequire } from 'node:module';
import path from 'node:path';

/** The servers as the host (an administrator) reaches them; the sandbox never sees these. */
export interface AdminUrls {
  postgres: string;
  redis: string;
  amqp: string;
  management: string;
}

export function adminUrls(infraEnv: Record<string, string>): AdminUrls {
  return {
    postgres: infraEnv.DN_PG_ADMIN_URL ?? process.env.DN_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redis: infraEnv.DN_REDIS_URL ?? process.env.DN_REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqp: infraEnv.DN_AMQP_URL ?? process.env.DN_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    management: infraEnv.DN_RABBIT_MANAGEMENT_URL ?? process.env.DN_RABBIT_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
  };
}

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
interface PgPooledClient extends PgClient {
  /** Back to the pool; with `destroy` (after a failed query), the connection is closed instead: its state is unknown. */
  release(destroy?: boolean): void;
}
interface PgPool {
  connect(): Promise<PgPooledClient>;
  on(event: 'error', listener: (err: Error) => void): void;
  end(): Promise<void>;
}
interface RedisClient {
  connect(): Promise<void>;
  call(...args: (string | number)[]): Promise<unknown>;
  disconnect(): void;
}
interface ClientLibraries {
  Pool: new (o: { connectionString: string; max: number; idleTimeoutMillis: number; allowExitOnIdle: boolean }) => PgPool;
  Redis: new (url: string, o: object) => RedisClient;
}

const libraries = new Map<string, ClientLibraries>();

/**
 * pg and ioredis, from the target's dependencies (the environment package has no client of its
 * own for these servers, as namespace.ts already relies on).
 */
function clients(nodeModulesDir: string): ClientLibraries {
  let lib = libraries.get(nodeModulesDir);
  if (!lib) {
    const req = createRequire(path.join(nodeModulesDir, '..', 'package.json'));
    lib = { Pool: (req('pg') as { Pool: ClientLibraries['Pool'] }).Pool, Redis: req('ioredis') as ClientLibraries['Redis'] };
    libraries.set(nodeModulesDir, lib);
  }
  return lib;
}

/**
 * Administrator connections to PostgreSQL are pooled: every principal made or dropped needs a few,
 * and a new connection is a server process started and its catalog caches warmed, work that
 * competes with the episodes' own on a small machine. Idle ones close after a while, and never
 * keep a process alive on their own.
 */
const PG_POOL = { max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true };

export class Admin {
  private readonly pools = new Map<string, PgPool>();

  constructor(readonly urls: AdminUrls, private readonly nodeModulesDir: string) {}

  private pool(database: string | undefined): PgPool {
    const url = new URL(this.urls.postgres);
    if (database) url.pathname = `/${database}`;
    const key = url.toString();
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new (clients(this.nodeModulesDir).Pool)({ connectionString: key, ...PG_POOL });
      // an idle connection the server ended (a restart): the pool drops it and opens another when asked
      pool.on('error', () => undefined);
      this.pools.set(key, pool);
    }
    return pool;
  }

  async pg<T>(fn: (c: PgClient) => Promise<T>, database?: string): Promise<T> {
    const c = await this.pool(database).connect();
    let failed = false;
    try {
      return await fn(c);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      c.release(failed);
    }
  }

  /** Closes the pooled connections (at shutdown, after every principal is dropped). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.end()));
  }

  async redis<T>(fn: (r: RedisClient) => Promise<T>): Promise<T> {
    const r = new (clients(this.nodeModulesDir).Redis)(this.urls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    try {
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }

  get managementAdmin(): { user: string; password: string } {
    const u = new URL(this.urls.management);
    return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }

  /** A management API call as the administrator; a 404 on DELETE is success (already gone). */
  async rabbit(method: string, resource: string, body?: unknown): Promise<unknown> {
    const base = new URL(this.urls.management);
    base.username = '';
    base.password = '';
    const { user, password } = this.managementAdmin;
    const res = await fetch(new URL(`/api/${resource}`, base), {
      method,
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`RabbitMQ management ${method} ${resource} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res.status === 200 ? res.json() : undefined;
  }
}
