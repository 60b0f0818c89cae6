import { EnvError } from '../errors.ts';
import { amqpGate } from '../sandbox/net/amqp-gate.ts';
import { NETNS_MOUNT, NetGates } from '../sandbox/net/gates.ts';
import { managementGate } from '../sandbox/net/management-gate.ts';
import { pgGate } from '../sandbox/net/pg-gate.ts';
import { parseUpstream } from '../sandbox/net/pipe.ts';
import { redisGate } from '../sandbox/net/redis-gate.ts';
import type { Mount } from '../sandbox/types.ts';
import { errorMessage } from '../util.ts';
import { Admin, adminUrls } from './admin.ts';
import { createRole, createUsers, destroyPrincipal, newIdentity, owns, sweepPrincipals, type PrincipalIdentity } from './principal.ts';

/** The database the harness opens to CREATE and DROP its databases; a non-superuser can do nothing else there. */
const MAINTENANCE_DATABASE = 'postgres';

/** A live principal: its name, what its sandboxes are told, the mount that carries its gates. */
export interface PrincipalHandle {
  readonly name: string;
  /** Password of its Redis and RabbitMQ users (in its sandboxes' URLs). */
  readonly secret: string;
  /** DN_* server URLs as the sandbox sees them (the gates' loopback ports) and the namespace prefix. */
  readonly env: Record<string, string>;
  /** Not a real mount: names the principal's network namespace, which its runs join (bwrap.ts). */
  readonly mount: Mount;
  /** Closes the gates (every connection), then drops the principal and all it owns. Safe to repeat. */
  destroy(): Promise<void>;
}

/**
 * Creates and destroys principals. Each one is a PostgreSQL role, a Redis ACL user and a RabbitMQ
 * user, plus the gates its sandboxes connect through; see docs/isolation.md.
 */
export class Principals {
  readonly admin: Admin;
  /** Principals made ahead (creation is a few round trips and a short process): runs take one at once. */
  private readonly spares: Promise<PrincipalHandle>[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(infraEnv: Record<string, string>, nodeModulesDir: string, private readonly spareCount = 2) {
    this.admin = new Admin(adminUrls(infraEnv), nodeModulesDir);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** A principal for one run or episode, ready-made when one is; release() it when done. */
  acquire(): Promise<PrincipalHandle> {
    if (this.closed) return Promise.reject(new EnvError('ENV_ERR_SHUTTING_DOWN', 'the server is shutting down'));
    const spare = this.spares.shift();
    this.refill();
    return spare ? spare.catch(() => this.create()) : this.create();
  }

  /** Destroys a principal after the caller has moved on (tracked: close() waits for it). */
  release(p: PrincipalHandle): void {
    this.track(p.destroy()).catch(() => undefined);
  }

  /** Starts making the spares (in the background). */
  refill(): void {
    while (!this.closed && this.spares.length < this.spareCount) {
      const p = this.track(this.create());
      p.catch(() => undefined);
      this.spares.push(p);
    }
  }

  /** Destroys the spares and waits for every destruction started. */
  async close(): Promise<void> {
    this.closed = true;
    const spares = await Promise.allSettled(this.spares.splice(0));
    for (const s of spares) if (s.status === 'fulfilled') this.release(s.value);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.admin.close();
  }

  /** The role first (the sweep's owner record), then its users beside the gates' namespace, which do not depend on each other. Closes the gates if the users fail. */
  private async openPrincipal(id: PrincipalIdentity): Promise<NetGates> {
    await createRole(this.admin, id);
    const [users, opened] = await Promise.allSettled([createUsers(this.admin, id), NetGates.open(id.name, this.gateHandlers(id))]);
    if (users.status === 'rejected') {
      if (opened.status === 'fulfilled') await opened.value.close();
      throw users.reason;
    }
    if (opened.status === 'rejected') throw opened.reason;
    return opened.value;
  }

  async create(): Promise<PrincipalHandle> {
    const id = newIdentity();
    let g: NetGates;
    try {
      g = await this.openPrincipal(id);
    } catch (err) {
      await destroyPrincipal(this.admin, id.name).catch(() => undefined);
      throw new EnvError('ENV_ERR_INFRA', `could not create a principal on PostgreSQL / Redis / RabbitMQ: ${errorMessage(err)}`, { cause: err });
    }
    let destroyed: Promise<void> | undefined;
    return {
      name: id.name,
      secret: id.secret,
      env: sandboxEnv(id),
      mount: { host: g.file, sandbox: NETNS_MOUNT, readOnly: true },
      destroy: () => {
        destroyed ??= g.close().then(() => destroyPrincipal(this.admin, id.name, { netnsDeleted: true }));
        return destroyed;
      },
    };
  }

  /** Drops principals whose server process has exited; returns their names. */
  sweep(): Promise<string[]> {
    return sweepPrincipals(this.admin);
  }

  private gateHandlers(id: PrincipalIdentity): Parameters<typeof NetGates.open>[1] {
    const { urls } = this.admin;
    return {
      postgres: pgGate(parseUpstream(urls.postgres, 5432), { role: id.name, database: (db) => db === MAINTENANCE_DATABASE || owns(id.name, db) }),
      redis: redisGate(parseUpstream(urls.redis, 6379), { user: id.name, password: id.secret }),
      amqp: amqpGate(parseUpstream(urls.amqp, 5672), id.name),
      management: managementGate({
        url: urls.management,
        admin: this.admin.managementAdmin,
        principal: { user: id.name, password: id.secret },
        ownsVhost: (v) => owns(id.name, v),
      }),
    };
  }
}

/** The sandbox reaches every server on loopback, at the ports the gates listen on in its namespace. */
export function sandboxEnv(id: PrincipalIdentity): Record<string, string> {
  return {
    DN_PG_ADMIN_URL: `postgres://${id.name}@127.0.0.1:5432/${MAINTENANCE_DATABASE}`,
    DN_REDIS_URL: 'redis://127.0.0.1:6379',
    DN_AMQP_URL: `amqp://${id.name}:${id.secret}@127.0.0.1:5672`,
    DN_RABBIT_MANAGEMENT_URL: `http://${id.name}:${id.secret}@127.0.0.1:15672`,
    DN_NAMESPACE_PREFIX: id.name,
  };
}

/**
 * A namespace's own URLs (made by the host with administrator URLs) as the principal's sandbox
 * must use them: same database, vhost and prefix; the principal's identity; the gates' ports.
 */
export function toSandboxUrls(env: Record<string, string>, id: { name: string; env: Record<string, string> }): Record<string, string> {
  const amqp = new URL(id.env.DN_AMQP_URL!);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    let u: URL | null = null;
    try {
      u = /^(postgres(ql)?|redis|amqp):\/\//.test(v) ? new URL(v) : null;
    } catch {
      u = null;
    }
    if (!u) {
      out[k] = v;
      continue;
    }
    u.hostname = '127.0.0.1';
    if (u.protocol.startsWith('postgres')) Object.assign(u, { username: id.name, password: '', port: '5432' });
    else if (u.protocol === 'redis:') Object.assign(u, { username: '', password: '', port: '6379' });
    else Object.assign(u, { username: amqp.username, password: amqp.password, port: '5672' });
    out[k] = u.toString();
  }
  return out;
}
