import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { deleteNetns, listNetns } from '../sandbox/net/netns.ts';
import type { Admin } from './admin.ts';

/** Every principal's name starts so; the sweep only ever looks at these. */
export const PRINCIPAL_PREFIX = 'dnp_';
const NAME = /^dnp_[0-9a-f]{12}$/;

/**
 * One episode's (or one grading run's) identity on the servers. Everything it may touch is named
 * `<name>_…`: databases, Redis keys and channels, vhosts. The fixed-length name and the `_` keep
 * one principal's allowance from covering another's.
 */
export interface PrincipalIdentity {
  name: string;
  /** Password of its Redis ACL user and its RabbitMQ user. */
  secret: string;
}

export function newIdentity(): PrincipalIdentity {
  return { name: `${PRINCIPAL_PREFIX}${randomBytes(6).toString('hex')}`, secret: randomBytes(18).toString('hex') };
}

export function owns(name: string, resource: string): boolean {
  return resource.startsWith(`${name}_`);
}

/**
 * What the principal's Redis user may do: keys and channels under its prefix, the commands a
 * service uses; no administration (CONFIG, ACL, CLIENT KILL, MONITOR, DEBUG), nothing that acts
 * on every key (FLUSHALL, FLUSHDB, SWAPDB, MIGRATE), and nothing that changes server-wide
 * scripting state other principals rely on. INFO (ioredis's ready check) and KEYS stay, which
 * show counts and key names, never values.
 *
 * Keys outside every principal's name space (not starting with "d": principals are dnp_…, the
 * registry datanexus:…, host test runs dn_…) are readable, never writable: a test may check that
 * an unprefixed key does not exist (groups.test.js), and since no principal can write one, it
 * cannot carry anything from one principal to another.
 */
export function redisAclRules(p: PrincipalIdentity): string[] {
  return [
    'reset', 'on', `>${p.secret}`, `~${p.name}_*`, '%R~[^d]*', 'resetchannels', `&${p.name}_*`,
    '+@all', '-@admin', '-@dangerous', '+info', '+keys',
    '-function', '-script|flush', '-script|kill', '-reset',
  ];
}

function ident(name: string): string {
  if (!NAME.test(name)) throw new Error(`not a principal name: ${name}`);
  return `"${name}"`;
}

/** The owner record the sweep reads: a principal outlives nothing but the server that made it. */
export function ownerRecord(): string {
  return JSON.stringify({ ownerPid: process.pid, ownerHost: os.hostname(), createdAt: Date.now() });
}

/** The PostgreSQL role, made before anything else of a principal: it carries the owner record, so a crash after it leaves something to sweep. */
export async function createRole(admin: Admin, p: PrincipalIdentity): Promise<void> {
  await admin.pg(async (c) => {
    // No memberships: none of pg_read_server_files, pg_execute_server_program, …
    await c.query(`CREATE ROLE ${ident(p.name)} LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 256`);
    await c.query(`COMMENT ON ROLE ${ident(p.name)} IS '${ownerRecord()}'`);
  });
}

/** The Redis ACL user and the RabbitMQ user, made together once the role exists. */
export async function createUsers(admin: Admin, p: PrincipalIdentity): Promise<void> {
  await Promise.all([
    admin.redis((r) => r.call('ACL', 'SETUSER', p.name, ...redisAclRules(p))),
    admin.rabbit('PUT', `users/${encodeURIComponent(p.name)}`, { password: p.secret, tags: 'management' }),
  ]);
}

async function dropDatabasesOf(admin: Admin, name: string): Promise<void> {
  await admin.pg(async (c) => {
    await c.query(`ALTER ROLE ${ident(name)} NOLOGIN`);
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    const { rows } = await c.query(
      "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1) OR starts_with(datname, $2)",
      [name, `${name}_`],
    );
    for (const { datname } of rows) {
      const db = `"${String(datname).replace(/"/g, '""')}"`;
      // a CREATEDB role may mark its own database a template, which DROP refuses
      await c.query(`ALTER DATABASE ${db} IS_TEMPLATE false`);
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
    await c.query(`DROP OWNED BY ${ident(name)}`);
    await c.query(`DROP ROLE ${ident(name)}`);
  });
}

async function dropRedisUser(admin: Admin, name: string): Promise<void> {
  await admin.redis(async (r) => {
    // DELUSER disconnects the user's clients too; the keys go after, so nothing writes behind.
    await r.call('ACL', 'DELUSER', name);
    let cursor = '0';
    do {
      const [next, keys] = (await r.call('SCAN', cursor, 'MATCH', `${name}_*`, 'COUNT', 1000)) as [string, string[]];
      cursor = next;
      if (keys.length > 0) await r.call('UNLINK', ...keys);
    } while (cursor !== '0');
  });
}

async function dropRabbitUser(admin: Admin, name: string): Promise<void> {
  // Deleting the user closes its connections; its vhosts go with their queues.
  await admin.rabbit('DELETE', `users/${encodeURIComponent(name)}`);
  const vhosts = (await admin.rabbit('GET', 'vhosts?columns=name')) as { name: string }[];
  for (const v of vhosts) if (owns(name, v.name)) await admin.rabbit('DELETE', `vhosts/${encodeURIComponent(v.name)}`);
}

/**
 * Ends every session of the principal and drops all it owns; safe to repeat. `netnsDeleted`: its
 * gates were closed, which already deleted its network namespace (one process start fewer).
 */
export async function destroyPrincipal(admin: Admin, name: string, o: { netnsDeleted?: boolean } = {}): Promise<void> {
  const results = await Promise.allSettled([
    dropRedisUser(admin, name),
    dropRabbitUser(admin, name),
    admin.pg(async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rows.length > 0).then((exists) => (exists ? dropDatabasesOf(admin, name) : undefined)),
    o.netnsDeleted ? undefined : deleteNetns(name),
  ]);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length > 0) throw new AggregateError(errors, `principal ${name} was not dropped cleanly`);
}

function ownerGone(comment: unknown): boolean {
  try {
    const rec = JSON.parse(String(comment)) as { ownerPid?: number; ownerHost?: string };
    if (rec.ownerHost !== os.hostname() || typeof rec.ownerPid !== 'number') return false;
    process.kill(rec.ownerPid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Principals whose server process on this host has exited (SIGKILL, OOM) are dropped, and so are
 * Redis and RabbitMQ users and network namespaces left without a role by a teardown cut short (the role is created first
 * and carries the owner record, so a user without one belongs to nobody alive).
 */
export async function sweepPrincipals(admin: Admin): Promise<string[]> {
  // Users and namespaces are listed before the roles are read: a principal being created while
  // the sweep runs already has its role when any of its other parts exists, so it is never taken
  // for an orphan. (Read the other way round, a server's start-up sweep destroyed a principal
  // its own namespace pool had just made, and the next run could not open its network namespace.)
  const aclUsers = (await admin.redis((r) => r.call('ACL', 'USERS'))) as string[];
  const brokerUsers = ((await admin.rabbit('GET', 'users?columns=name')) as { name: string }[]).map((u) => u.name);
  const others = new Set([...aclUsers, ...brokerUsers, ...(await listNetns())]);
  const rows = await admin.pg(async (c) => (await c.query(
    "SELECT rolname, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE starts_with(rolname, $1)",
    [PRINCIPAL_PREFIX],
  )).rows);
  const roles = new Set(rows.map((r) => String(r.rolname)));
  const dead = rows.filter((r) => NAME.test(String(r.rolname)) && ownerGone(r.comment)).map((r) => String(r.rolname));
  const orphans = [...others].filter((n) => NAME.test(n) && !roles.has(n));
  for (const name of [...dead, ...orphans]) await destroyPrincipal(admin, name);
  return [...dead, ...orphans].sort();
}
