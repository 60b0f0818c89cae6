import { EnvError } from '../errors.ts';
import type { UidLease } from './types.ts';

/**
 * Host uids for sandboxes. Each episode (and each grading run) gets its own uid while it lives:
 * RLIMIT_NPROC is counted per uid, so a fork bomb exhausts only its own sandbox's budget, and the
 * memory watchdog and the final kill can find every process of a sandbox by its uid.
 */
export class UidPool {
  private readonly free: number[];
  private readonly used = new Set<number>();

  constructor(base: number, count: number) {
    this.free = Array.from({ length: count }, (_, i) => base + count - 1 - i);
  }

  lease(): UidLease {
    const uid = this.free.pop();
    if (uid === undefined) throw new EnvError('ENV_ERR_CAPACITY', `all ${this.used.size} sandbox uids are in use`);
    this.used.add(uid);
    let released = false;
    return {
      uid,
      release: () => {
        if (released) return;
        released = true;
        this.used.delete(uid);
        this.free.push(uid);
      },
    };
  }

  get inUse(): number {
    return this.used.size;
  }
}
