import path from 'node:path';
import { activeBugs, loadManifest } from '../manifest.ts';
import { writeDependsOn } from '../manifest-write.ts';
import { dependsOnDrift, describeMasking, maskingFromManifest, type DependsOnDrift } from '../masking.ts';
import { DEFAULT_MANIFEST_PATH } from '../paths.ts';
import { type CommandOutcome, type CommonOptions, resolveOpt } from './shared.ts';

// `masking`: recomputes every active bug's dependsOn from the recorded failToPass lists, without
// running anything. verify proves that each bug alone fails exactly its failToPass, so the recorded
// lists are the measured F(X) and the masking computed from them is the measured one (masking.ts).

export interface MaskingCommandOptions extends CommonOptions {
  manifestPath?: string;
  /** Replace every active bug's dependsOn with the measured one. */
  write?: boolean;
}

export interface MaskingReport {
  manifest: string;
  bugs: Array<{ id: string; dependsOn: string[]; maskedBy: Record<string, number>; ownTests: number; failToPass: number; fullyMasked: boolean }>;
  /** Bugs whose recorded dependsOn was not the measured one (before --write). */
  drift: DependsOnDrift[];
  fullyMasked: string[];
  written: boolean;
}

export function renderMasking(r: MaskingReport): string {
  const lines = r.bugs.map((b) => `${b.id}: ${describeMasking({ ...b, ownTests: [] }, b.failToPass)}; ${b.ownTests}/${b.failToPass} test(s) its own${b.fullyMasked ? ' — FULLY MASKED' : ''}`);
  for (const d of r.drift) lines.push(`${d.id}: dependsOn recorded [${d.recorded.join(', ')}], measured [${d.measured.join(', ')}]${r.written ? ' — written' : ''}`);
  lines.push(`${r.bugs.length} active bug(s); ${r.drift.length} dependsOn ${r.written ? 'rewritten' : 'out of date'}; fully masked: ${r.fullyMasked.join(', ') || 'none'}`);
  return lines.join('\n');
}

/** Exit 1 when a recorded dependsOn is out of date and --write was not given (a check for CI). */
export async function maskingCommand(opts: MaskingCommandOptions): Promise<CommandOutcome<MaskingReport>> {
  const manifestPath = path.resolve(resolveOpt(opts.cwd, opts.manifestPath) ?? DEFAULT_MANIFEST_PATH);
  const manifest = await loadManifest(manifestPath);
  const masking = maskingFromManifest(manifest);
  const drift = dependsOnDrift(manifest, masking);
  if (opts.write && drift.length > 0) await writeDependsOn(manifestPath, new Map(drift.map((d) => [d.id, d.measured])));
  const bugs = activeBugs(manifest).map((b) => {
    const m = masking.get(b.id)!;
    return { id: b.id, dependsOn: m.dependsOn, maskedBy: m.maskedBy, ownTests: m.ownTests.length, failToPass: b.failToPass.length, fullyMasked: m.fullyMasked };
  });
  const report: MaskingReport = {
    manifest: manifestPath, bugs, drift,
    fullyMasked: bugs.filter((b) => b.fullyMasked).map((b) => b.id),
    written: opts.write === true && drift.length > 0,
  };
  return { exitCode: drift.length > 0 && !opts.write ? 1 : 0, json: report, text: renderMasking(report) };
}
