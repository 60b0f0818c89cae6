export interface ProgressEvent {
  /** 1-based index of the step and the number of steps planned. */
  index: number;
  total: number;
  label: string;
  phase: 'start' | 'end';
  ok?: boolean;
  detail?: string;
  elapsedMs?: number;
}

export type ProgressFn = (event: ProgressEvent) => void;

/**
 * One line per step on a stream (stderr by default). On a terminal the running step is shown on
 * a line that is rewritten when it ends; elsewhere (CI logs) only finished steps are printed, so
 * logs hold no carriage returns.
 */
export function streamProgress(stream: NodeJS.WriteStream = process.stderr): ProgressFn {
  const tty = Boolean(stream.isTTY);
  return (e) => {
    const head = `[${e.index}/${e.total}] ${e.label}`;
    if (e.phase === 'start') {
      if (tty) stream.write(`\r\u001b[K${head} …`);
      return;
    }
    const secs = e.elapsedMs === undefined ? '' : ` (${(e.elapsedMs / 1000).toFixed(1)} s)`;
    const verdict = e.ok ? 'ok' : 'FAILED';
    const detail = e.detail ? ` — ${e.detail}` : '';
    stream.write(`${tty ? '\r\u001b[K' : ''}${head} ${verdict}${secs}${detail}\n`);
  };
}
