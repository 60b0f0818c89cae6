/** One client request in RESP: its arguments and the exact bytes it arrived as. */
export interface RespRequest {
  args: Buffer[];
  raw: Buffer;
}

// Redis's own limits on a request (proto-max-bulk-len, and a sane bound on arguments).
const MAX_BULK = 512 * 1024 * 1024;
const MAX_ARGS = 1024 * 1024;

export class RespError extends Error {}

/**
 * Splits the client side of a Redis connection into requests. Every client library sends arrays
 * of bulk strings; inline commands (telnet style) are refused, which keeps the parser small.
 * Chunks are only joined once enough bytes are there for the request being read, so a large
 * value is not re-scanned on every chunk.
 */
export class RespRequestParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 0;

  push(chunk: Buffer): RespRequest[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return [];
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out: RespRequest[] = [];
    for (;;) {
      const r = parseRequest(buf);
      if (typeof r === 'number') {
        this.need = r;
        break;
      }
      out.push(r);
      buf = buf.subarray(r.raw.length);
      if (buf.length === 0) break;
    }
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
    if (buf.length === 0) this.need = 0;
    return out;
  }
}

function readLine(buf: Buffer, at: number): { value: number; next: number } | null {
  const end = buf.indexOf('\r\n', at);
  if (end === -1) {
    if (buf.length - at > 32) throw new RespError('protocol error: header line too long');
    return null;
  }
  const text = buf.toString('latin1', at, end);
  if (!/^-?\d+$/.test(text)) throw new RespError(`protocol error: expected a length, got ${JSON.stringify(text.slice(0, 20))}`);
  return { value: Number(text), next: end + 2 };
}

/** A request, or the number of bytes needed before it can be read whole (a lower bound). */
function parseRequest(buf: Buffer): RespRequest | number {
  if (buf[0] !== 0x2a /* '*' */) throw new RespError('protocol error: inline commands are not accepted here; send RESP arrays');
  const head = readLine(buf, 1);
  if (!head) return buf.length + 1;
  if (head.value < 1 || head.value > MAX_ARGS) throw new RespError('protocol error: invalid multibulk length');
  const args: Buffer[] = [];
  let at = head.next;
  for (let i = 0; i < head.value; i++) {
    if (at >= buf.length) return at + 1;
    if (buf[at] !== 0x24 /* '$' */) throw new RespError("protocol error: expected '$'");
    const len = readLine(buf, at + 1);
    if (!len) return buf.length + 1;
    if (len.value < 0 || len.value > MAX_BULK) throw new RespError('protocol error: invalid bulk length');
    const end = len.next + len.value;
    if (buf.length < end + 2) return end + 2;
    args.push(buf.subarray(len.next, end));
    at = end + 2;
  }
  return { args, raw: buf.subarray(0, at) };
}

export function encodeRequest(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
