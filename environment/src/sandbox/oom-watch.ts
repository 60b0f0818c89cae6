import type { RunCgroup } from './cgroup.ts';
import { PollingSet } from './polling-set.ts';

// With a memory cgroup the kernel enforces the cap itself: a run that reaches it loses a process to
// the OOM killer at once. What is left of the run (a shell waiting on the killed process, siblings
// that keep running) is then killed as a whole, so the run reports 'memory' rather than hanging
// until its timeout. Looking is cheap (one small file per running sandbox) and decides nothing the
// kernel has not already enforced.

const CHECK_INTERVAL_MS = 100;

interface Watch {
  cgroup: RunCgroup;
  onOom: () => void;
}

class OomWatch {
  private readonly watches = new PollingSet<Watch>(CHECK_INTERVAL_MS, (ws) => this.tick(ws));

  watch(cgroup: RunCgroup, onOom: () => void): () => void {
    return this.watches.add({ cgroup, onOom });
  }

  private tick(watches: Watch[]): void {
    for (const w of watches) {
      if (w.cgroup.oomKilled()) {
        this.watches.delete(w);
        w.onOom();
      }
    }
  }
}

export const oomWatch = new OomWatch();
