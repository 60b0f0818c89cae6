import { execFile, spawn } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LISTEN_CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'listen-child.cjs');
/** Where `ip netns` keeps named namespaces. */
export const NETNS_DIR = '/run/netns';
export const NETNS_PREFIX = 'dn-';

export interface Listener {
  host: string;
  port: number;
  server: net.Server;
}

/**
 * Creates a named network namespace with loopback up (`ip netns add`, a bind mount under
 * /run/netns that keeps it alive with nothing running in it) and listening sockets inside it on
 * `addresses`, handed to this process. Costs one short-lived node process, once per principal.
 */
export async function openNetns(name: string, addresses: [string, number][]): Promise<{ file: string; listeners: Listener[] }> {
  const ns = `${NETNS_PREFIX}${name}`;
  await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const listeners = await listenInside(ns, addresses);
    return { file: path.join(NETNS_DIR, ns), listeners };
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
}

function listenInside(ns: string, addresses: [string, number][]): Promise<Listener[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, LISTEN_CHILD, JSON.stringify(addresses)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const listeners: Listener[] = [];
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('message', (m: { host: string; port: number; error?: string }, server?: net.Server) => {
      if (server) listeners.push({ host: m.host, port: m.port, server });
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ports = new Set(listeners.filter((l) => l.host === '127.0.0.1').map((l) => l.port));
      if (code === 0 && addresses.every(([h, p]) => h !== '127.0.0.1' || ports.has(p))) return resolve(listeners);
      for (const l of listeners) l.server.close();
      reject(new Error(`could not listen in network namespace ${ns} (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
  });
}

export async function deleteNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'delete', `${NETNS_PREFIX}${name}`]).catch(() => undefined);
}

/** Names (principal names) of the namespaces this server family created, for the sweep. */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NETNS_PREFIX)).map((n) => n.slice(NETNS_PREFIX.length));
}
