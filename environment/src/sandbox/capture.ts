import type { CapturedOutput } from './types.ts';

/** Says in the text itself that something was cut, so neither an agent nor a log reader mistakes it for the whole. */
export function truncationNote(omitted: number, unit: 'bytes' | 'chars' | 'lines' | 'entries' | 'matches'): string {
  return `\n[... truncated: ${omitted} ${unit} omitted ...]\n`;
}

/**
 * Keeps the first part and the last part of a stream within `max` bytes: the start of a command's
 * output says what it did, the end holds the error.
 */
export class OutputCapture {
  private readonly headMax: number;
  private readonly tailMax: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  bytes = 0;

  constructor(max: number) {
    this.tailMax = Math.floor(max / 4);
    this.headMax = max - this.tailMax;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = Math.min(rest.length, this.headMax - this.headBytes);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailMax === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= this.tailMax) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  result(): CapturedOutput {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailMax) tail = tail.subarray(tail.length - this.tailMax);
    const omitted = this.bytes - head.length - tail.length;
    const text = omitted > 0
      ? head.toString('utf8') + truncationNote(omitted, 'bytes') + tail.toString('utf8')
      : head.toString('utf8') + tail.toString('utf8');
    return { text, bytes: this.bytes, truncated: omitted > 0 };
  }
}

/** Cuts a string to `max` characters the same way (head and tail, with a note). */
export function truncateText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const tailLen = Math.floor(max / 4);
  const headLen = max - tailLen;
  const omitted = text.length - headLen - tailLen;
  return { text: text.slice(0, headLen) + truncationNote(omitted, 'chars') + text.slice(text.length - tailLen), truncated: true };
}
