import net from 'node:net';
import type { Upstream } from './pipe.ts';

const PROTOCOL_HEADER_BYTES = 8;
const FRAME_METHOD = 1;
const FRAME_END = 0xce;
const CONNECTION_CLASS = 10;
const START_OK = 11;
const CLOSE = 50;
const MAX_START_OK_BYTES = 64 * 1024;

/** The PLAIN user a Connection.StartOk method frame logs in as, or why it cannot be read. */
export function startOkUser(frame: Buffer): { user: string } | { error: string } {
  const p = frame.subarray(7, frame.length - 1);
  if (frame[0] !== FRAME_METHOD || frame.readUInt16BE(1) !== 0 || p.readUInt16BE(0) !== CONNECTION_CLASS || p.readUInt16BE(2) !== START_OK) {
    return { error: 'expected Connection.StartOk' };
  }
  let at = 4;
  at += 4 + p.readUInt32BE(at); // client-properties table
  const mechLen = p.readUInt8(at);
  const mechanism = p.toString('utf8', at + 1, at + 1 + mechLen);
  at += 1 + mechLen;
  if (mechanism !== 'PLAIN') return { error: `mechanism ${mechanism} is not available in this sandbox; use PLAIN` };
  const respLen = p.readUInt32BE(at);
  const [authzid, user] = p.toString('utf8', at + 4, at + 4 + respLen).split('\0');
  if (authzid && authzid !== user) return { error: 'PLAIN authorization identity differs from the user' };
  return { user: user ?? '' };
}

/** Connection.Close with ACCESS_REFUSED, so the client reports a reason. */
function accessRefused(text: string): Buffer {
  const reason = Buffer.from(text.slice(0, 255), 'utf8');
  const payload = Buffer.alloc(4 + 2 + 1 + reason.length + 4);
  payload.writeUInt16BE(CONNECTION_CLASS, 0);
  payload.writeUInt16BE(CLOSE, 2);
  payload.writeUInt16BE(403, 4);
  payload.writeUInt8(reason.length, 6);
  reason.copy(payload, 7);
  const head = Buffer.alloc(7);
  head.writeUInt8(FRAME_METHOD, 0);
  head.writeUInt16BE(0, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

/**
 * The host side of the sandbox's AMQP port. The broker's own users (guest included) would accept
 * their passwords from anywhere, so the gate reads the client's Connection.StartOk and lets
 * through only the principal's user; the broker then checks its password and vhost permissions.
 */
export function amqpGate(upstream: Upstream, user: string): (client: net.Socket) => void {
  return (client) => {
    let buf = Buffer.alloc(0);
    let server: net.Socket | null = null;
    const refuse = (why: string): void => {
      client.off('data', onData);
      if (server) {
        server.unpipe(client);
        server.removeAllListeners('close').on('error', () => undefined).destroy();
      }
      client.end(accessRefused(`ACCESS_REFUSED - ${why}`));
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (!server) {
        if (buf.length < PROTOCOL_HEADER_BYTES) return;
        // The header goes through at once: the broker answers it with Connection.Start.
        server = net.connect(upstream.port, upstream.host);
        server.on('error', () => client.destroy()).on('close', () => client.destroy());
        server.pipe(client);
        server.write(buf.subarray(0, PROTOCOL_HEADER_BYTES));
        buf = buf.subarray(PROTOCOL_HEADER_BYTES);
      }
      if (buf.length < 7) return;
      const size = buf.readUInt32BE(3);
      if (size > MAX_START_OK_BYTES) return refuse('handshake frame too large');
      if (buf.length < size + 8) return;
      let login;
      try {
        login = startOkUser(buf.subarray(0, size + 8));
      } catch {
        login = { error: 'malformed Connection.StartOk' };
      }
      if ('error' in login) return refuse(login.error);
      if (login.user !== user) return refuse(`user "${login.user}" is not available in this sandbox`);
      client.off('data', onData);
      if (buf.length > 0) server.write(buf);
      client.pipe(server);
      client.on('close', () => server?.destroy());
    };
    client.on('data', onData);
    client.on('error', () => {
      client.destroy();
      server?.destroy();
    });
  };
}
