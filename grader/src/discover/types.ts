import type { ProgressFn } from '../progress.ts';
import type { CommandRunner, InfraError } from '../types.ts';

export interface DiscoverOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  /** Only these bugs (default: every active bug). */
  bugs?: string[];
  /** Run the whole suite for every bug instead of the files its fix can affect (default false). */
  full?: boolean;
  /** Suite runs per bug (default 1); every run must give the same list. */
  repeat?: number;
  /** Write the lists, and the measured dependsOn of every active bug, into the manifest (default false: report only). */
  write?: boolean;
  runner?: CommandRunner;
  env?: Record<string, string>;
  timeoutMs?: number;
  nodeModulesDir?: string;
  preflight?: () => Promise<InfraError | undefined>;
  progress?: ProgressFn;
}

export interface DiscoveredBug {
  id: string;
  /** The tests that did not pass with only this bug present (sorted); the first run's when runs disagree. */
  failToPass: string[];
  /** What the manifest recorded before. */
  previous: string[];
  added: string[];
  removed: string[];
  /** Every run gave the same list. */
  stable: boolean;
  /** Tests that failed in some runs and passed in others. */
  unstable: string[];
  timedOut: boolean;
  /** Usable: stable, not timed out, at least one test. */
  ok: boolean;
  written: boolean;
  problems: string[];
}

/** Measured masking of one active bug, from this run's lists and the recorded ones of the others. */
export interface MaskingSummary {
  id: string;
  dependsOn: string[];
  /** What the manifest recorded before. */
  recorded: string[];
  maskedBy: Record<string, number>;
  fullyMasked: boolean;
}

export interface DiscoverReport {
  ok: boolean;
  manifest: string;
  inventorySize: number;
  repeat: number;
  written: boolean;
  bugs: DiscoveredBug[];
  /** Every active bug's measured dependsOn (written with --write). */
  masking: MaskingSummary[];
  /** Active bugs all of whose failToPass tests also fail for another bug. */
  fullyMasked: string[];
  durationMs: number;
}
