import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { TrajectoryStore } from './store.ts';

/** Writes one JSON line per episode (with its steps and grades) to `out`; returns how many. */
export async function exportJsonl(opts: { db: string; out: string; task?: string }): Promise<number> {
  const store = new TrajectoryStore(opts.db);
  const stream = createWriteStream(opts.out);
  let n = 0;
  try {
    for (const ep of store.episodes(opts.task ? { task: opts.task } : {})) {
      if (!stream.write(`${JSON.stringify(ep)}\n`)) await once(stream, 'drain');
      n += 1;
    }
  } finally {
    store.close();
    stream.end();
    await once(stream, 'finish');
  }
  return n;
}
