import { chmod, mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { EnvError } from '../../errors.ts';

/** Where the sandbox sees the gates' sockets, and the relay that listens on their ports. */
export const NET_MOUNT = '/run/dn-net';
export const RELAY_PATH = '/run/dn-relay.cjs';
/** The relay's source in this package, mounted read-only into every sandbox that has a network. */
export const RELAY_SOURCE = path.join(path.dirname(new URL(import.meta.url).pathname), 'relay.cjs');

/** The four services a sandbox may reach, named as the relay names their sockets. */
export type GateName = 'postgres' | 'redis' | 'amqp' | 'management';
export type GateHandler = ((client: net.Socket) => void) | Server;

// sun_path holds 108 bytes; a longer socket path fails with an obscure EINVAL.
const MAX_SOCKET_PATH = 100;

/**
 * One principal's gates: a unix socket per service in `dir`, each answered by its handler. The
 * socket a connection arrives on is its identity, so the directory is only ever mounted into
 * that principal's sandboxes. close() cuts every connection still open.
 */
export class NetGates {
  private readonly servers: (net.Server | Server)[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly dir: string) {}

  static async open(dir: string, handlers: Record<GateName, GateHandler>): Promise<NetGates> {
    if (path.join(dir, 'management.sock').length > MAX_SOCKET_PATH) {
      throw new EnvError('ENV_ERR_INVALID_OPTION', `the gate sockets' directory ${dir} is too long for a unix socket path; choose a shorter --state-dir`);
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    const gates = new NetGates(dir);
    try {
      for (const [name, handler] of Object.entries(handlers)) await gates.listen(path.join(dir, `${name}.sock`), handler);
    } catch (err) {
      await gates.close();
      throw err;
    }
    return gates;
  }

  private async listen(socketPath: string, handler: GateHandler): Promise<void> {
    const server = typeof handler === 'function' ? net.createServer(handler) : handler;
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    // Sandboxes run under uids of their own; the directory is what keeps other sandboxes out.
    await chmod(socketPath, 0o666);
  }

  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    await rm(this.dir, { recursive: true, force: true });
  }
}
