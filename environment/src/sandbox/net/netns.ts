import { execFile, spawn } from 'node:child_process';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { nativeProgram } from '../native-launcher.ts';
import { NetnsDaemon } from './netns-daemon.ts';

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

let daemon: NetnsDaemon | null | undefined;

/** The server's one `dn-netns serve`, where the native programs are built. */
function netnsDaemon(): NetnsDaemon | null {
  if (daemon === undefined) {
    const program = nativeProgram('dn-netns');
    daemon = program ? new NetnsDaemon(program) : null;
  }
  return daemon;
}

/**
 * Creates a named network namespace with loopback up (a bind mount under /run/netns that keeps it
 * alive with nothing running in it, as `ip netns add` makes) and listening sockets inside it on
 * `addresses`, handed to this process. Where the native programs are built, the server's one
 * `dn-netns serve` does it (a few milliseconds, and no process start from the server); otherwise
 * `ip` twice and a node child (around 100 ms of node start, docs/isolation.md).
 */
export async function openNetns(name: string, addresses: [string, number][]): Promise<{ file: string; listeners: Listener[] }> {
  const ns = `${NETNS_PREFIX}${name}`;
  const native = netnsDaemon();
  if (native) {
    const listeners = await native.open(name, addresses);
    if (coversLoopback(addresses, listeners)) return { file: path.join(NETNS_DIR, ns), listeners };
    for (const l of listeners) l.server.close();
    await deleteNetns(name);
    throw new Error(`could not listen in network namespace ${ns} on every 127.0.0.1 address`);
  }
  await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const listeners = await receiveListeners(ns, addresses, 'ip', ['netns', 'exec', ns, process.execPath, LISTEN_CHILD, JSON.stringify(addresses)]);
    return { file: path.join(NETNS_DIR, ns), listeners };
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
}

/** Every 127.0.0.1 address asked for has a listener (a missing ::1 only means the namespace lacks IPv6). */
function coversLoopback(addresses: [string, number][], listeners: Listener[]): boolean {
  const ports = new Set(listeners.filter((l) => l.host === '127.0.0.1').map((l) => l.port));
  return addresses.every(([h, p]) => h !== '127.0.0.1' || ports.has(p));
}

/**
 * Runs the program that listens inside the namespace and collects the sockets it sends over the
 * IPC channel, one message per address (a server, or the error that address gave). The channel is
 * closed once every address has reported, which is what lets the program end.
 */
function receiveListeners(ns: string, addresses: [string, number][], file: string, args: string[]): Promise<Listener[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const listeners: Listener[] = [];
    let reported = 0;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('message', (m: { host: string; port: number; error?: string }, server?: net.Server) => {
      if (server) listeners.push({ host: m.host, port: m.port, server });
      if (++reported === addresses.length && child.connected) child.disconnect();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && coversLoopback(addresses, listeners)) return resolve(listeners);
      for (const l of listeners) l.server.close();
      reject(new Error(`could not listen in network namespace ${ns} (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
  });
}

export async function deleteNetns(name: string): Promise<void> {
  const native = netnsDaemon();
  if (native) await native.delete(name).catch(() => undefined);
  else await run('ip', ['netns', 'delete', `${NETNS_PREFIX}${name}`]).catch(() => undefined);
}

/** Names (principal names) of the namespaces this server family created, for the sweep. */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NETNS_PREFIX)).map((n) => n.slice(NETNS_PREFIX.length));
}
