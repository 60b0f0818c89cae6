import net from 'node:net';
import type { Upstream } from './pipe.ts';
import { encodeRequest, RespError, RespRequestParser, type RespRequest } from './resp.ts';

export interface RedisIdentity {
  user: string;
  password: string;
}

/**
 * Whether a request would change who the connection is. AUTH and HELLO…AUTH could log in as the
 * password-less default user; RESET logs the connection back in as default. The server cannot
 * refuse these through ACLs (they are allowed before authentication), so the gate does.
 */
export function changesIdentity(args: Buffer[]): boolean {
  const name = args[0]!.toString('latin1').toUpperCase();
  if (name === 'AUTH' || name === 'RESET') return true;
  return name === 'HELLO' && args.some((a, i) => i > 0 && a.toString('latin1').toUpperCase() === 'AUTH');
}

/**
 * A refused request is replaced by an unknown command, so the server itself answers it with an
 * error in its place among pipelined replies, and the name says why.
 */
function refusedRequest(req: RespRequest): Buffer {
  return encodeRequest([`REFUSED-IN-SANDBOX-${req.args[0]!.toString('latin1').toUpperCase()}`]);
}

/**
 * The host side of the sandbox's Redis port: logs in as the principal's ACL user before the
 * client says anything, then forwards every request except those that change identity.
 */
export function redisGate(upstream: Upstream, id: RedisIdentity): (client: net.Socket) => void {
  return (client) => {
    client.pause();
    const server = net.connect(upstream.port, upstream.host);
    server.setNoDelay(true);
    const close = (): void => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
    server.write(encodeRequest(['AUTH', id.user, id.password]));
    let reply = Buffer.alloc(0);
    const onAuthReply = (chunk: Buffer): void => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      server.off('data', onAuthReply);
      if (reply.toString('latin1', 0, end) !== '+OK') {
        client.end('-ERR the sandbox could not log in to Redis\r\n');
        server.destroy();
        return;
      }
      if (reply.length > end + 2) client.write(reply.subarray(end + 2));
      server.pipe(client);
      forwardRequests(client, server);
      client.resume();
    };
    server.on('data', onAuthReply);
  };
}

function forwardRequests(client: net.Socket, server: net.Socket): void {
  const parser = new RespRequestParser();
  client.on('data', (chunk: Buffer) => {
    let requests: RespRequest[];
    try {
      requests = parser.push(chunk);
    } catch (err) {
      client.end(`-ERR ${err instanceof RespError ? err.message : 'protocol error'}\r\n`);
      server.destroy();
      return;
    }
    for (const req of requests) server.write(changesIdentity(req.args) ? refusedRequest(req) : req.raw);
  });
}
