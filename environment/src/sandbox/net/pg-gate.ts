import net from 'node:net';
import { pipeBoth, type Upstream } from './pipe.ts';

// Protocol codes of the first packet a PostgreSQL client sends (no type byte, length first).
const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
const MAX_STARTUP_BYTES = 10_000;

export interface PgAllowance {
  /** The only role a connection may name. */
  role: string;
  /** Whether a connection may open this database. */
  database(name: string): boolean;
}

/** A FATAL ErrorResponse, so clients print a reason instead of "connection reset". */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

function startupParams(packet: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const parts = packet.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params.set(parts[i]!, parts[i + 1]!);
  return params;
}

/** Why a startup packet is refused, or null when it names the principal and a database it may open. */
export function refusal(params: Map<string, string>, allow: PgAllowance): string | null {
  const user = params.get('user');
  if (user !== allow.role) return `role "${user ?? ''}" is not available in this sandbox; connect as "${allow.role}"`;
  if (params.has('replication')) return 'replication connections are not available in this sandbox';
  const database = params.get('database') || user;
  if (!allow.database(database)) return `database "${database}" is not available in this sandbox`;
  return null;
}

/**
 * The host side of the sandbox's PostgreSQL port. The server trusts every local connection, so
 * the gate is what enforces identity: it reads the startup packet and lets through only the
 * principal's role and its own databases. Encryption requests are declined (loopback only).
 * After the startup packet the bytes flow untouched.
 */
export function pgGate(upstream: Upstream, allow: PgAllowance): (client: net.Socket) => void {
  return (client) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 8) {
        const len = buf.readInt32BE(0);
        if (len < 8 || len > MAX_STARTUP_BYTES) return refuse('08P01', 'invalid startup packet');
        if (buf.length < len) return;
        const code = buf.readInt32BE(4);
        const packet = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N');
          continue;
        }
        client.off('data', onData);
        if (code === CANCEL_REQUEST) {
          // Authenticated by the backend's secret key, which only its own client was told.
          pipeBoth(client, upstream, packet);
          return;
        }
        if (code !== PROTOCOL_3) return refuse('08P01', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
        const why = refusal(startupParams(packet), allow);
        if (why) return refuse('28000', why);
        pipeBoth(client, upstream, Buffer.concat([packet, buf]));
        return;
      }
    };
    const refuse = (code: string, message: string): void => {
      client.off('data', onData);
      client.end(fatal(code, message));
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  };
}
