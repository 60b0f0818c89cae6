import type { Server } from 'node:http';
import type net from 'node:net';
import { deleteNetns, openNetns, type Listener } from './netns.ts';

/**
 * A run's mount with this sandbox path is not a mount: it names the network namespace file the
 * run joins (bwrap.ts), the principal's, where its gates listen.
 */
export const NETNS_MOUNT = '/run/dn-netns';

/** The four services a sandbox may reach, on the ports the server URLs name. */
export const GATE_PORTS = { postgres: 5432, redis: 6379, amqp: 5672, management: 15672 } as const;
export type GateName = keyof typeof GATE_PORTS;
export type GateHandler = ((client: net.Socket) => void) | Server;

/**
 * One principal's gates: a network namespace of its own, loopback only, in which this process
 * listens on the four service ports. Its sandboxes join that namespace, so the address a
 * connection arrives at is its identity, and nothing else (the host, the environment API, other
 * principals) is there to connect to. close() cuts every connection and removes the namespace.
 */
export class NetGates {
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly name: string, readonly file: string, private readonly listeners: Listener[]) {}

  static async open(name: string, handlers: Record<GateName, GateHandler>): Promise<NetGates> {
    const addresses: [string, number][] = [];
    for (const port of Object.values(GATE_PORTS)) addresses.push(['127.0.0.1', port], ['::1', port]);
    const { file, listeners } = await openNetns(name, addresses);
    const gates = new NetGates(name, file, listeners);
    const byPort = new Map<number, GateHandler>(Object.entries(handlers).map(([k, h]) => [GATE_PORTS[k as GateName], h]));
    for (const l of listeners) {
      const handler = byPort.get(l.port)!;
      l.server.on('connection', (s: net.Socket) => {
        gates.sockets.add(s);
        s.on('close', () => gates.sockets.delete(s));
        if (typeof handler === 'function') handler(s);
        else handler.emit('connection', s);
      });
    }
    return gates;
  }

  async close(): Promise<void> {
    const closing = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    await deleteNetns(this.name);
  }
}
