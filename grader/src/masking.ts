import { activeBugs, type Manifest } from './manifest.ts';

// Measured masking. F(A) is the set of tests that do not pass in the tree where A is the only bug
// present (every other bug fixed): what discover finds and what verify proves equals failToPass(A).
// B depends on A when, with both present, fixing B alone leaves one of B's failToPass tests failing
// for A's reason. "Fixing B alone" with both present is the tree with only A present, so:
//
//   B depends on A  ⇔  failToPass(B) ∩ F(A) ≠ ∅
//
// With F(A) = failToPass(A) the relation is symmetric (two bugs that share a failing test mask each
// other), so cycles are the normal case, not an error. What is not symmetric is how much of B is
// masked: `maskedBy` counts B's tests that A also fails, and a bug all of whose failToPass tests also
// fail for some other bug is "fully masked": while that other bug is present, fixing it changes none
// of its tests, so an agent gets no signal from it until the other bug is fixed.

export interface MaskingInput {
  id: string;
  failToPass: readonly string[];
}

export interface BugMasking {
  id: string;
  /** The bugs that mask this one, in input (manifest) order. */
  dependsOn: string[];
  /** For each bug in dependsOn: how many of this bug's failToPass tests it also fails. */
  maskedBy: Record<string, number>;
  /** failToPass tests that fail for this bug only (sorted). */
  ownTests: string[];
  /** Every failToPass test also fails for some other bug. */
  fullyMasked: boolean;
}

/**
 * Computes masking for every bug of `bugs`. `failing` gives F(A) where measured (discover's single-bug
 * runs); a bug without a measured set falls back to its recorded failToPass.
 */
export function measureMasking(bugs: readonly MaskingInput[], failing: ReadonlyMap<string, Iterable<string>> = new Map()): Map<string, BugMasking> {
  const F = new Map(bugs.map((b) => [b.id, new Set(failing.get(b.id) ?? b.failToPass)]));
  const out = new Map<string, BugMasking>();
  for (const b of bugs) {
    const maskedBy: Record<string, number> = {};
    const dependsOn: string[] = [];
    const elsewhere = new Set<string>();
    for (const a of bugs) {
      if (a.id === b.id) continue;
      const fa = F.get(a.id)!;
      const shared = b.failToPass.filter((t) => fa.has(t));
      if (shared.length === 0) continue;
      dependsOn.push(a.id);
      maskedBy[a.id] = shared.length;
      for (const t of shared) elsewhere.add(t);
    }
    const ownTests = [...new Set(b.failToPass)].filter((t) => !elsewhere.has(t)).sort();
    out.set(b.id, { id: b.id, dependsOn, maskedBy, ownTests, fullyMasked: ownTests.length === 0 });
  }
  return out;
}

/** Masking of the manifest's active bugs from their recorded failToPass lists (no run needed). */
export function maskingFromManifest(manifest: Manifest, failing?: ReadonlyMap<string, Iterable<string>>): Map<string, BugMasking> {
  return measureMasking(activeBugs(manifest), failing);
}

export interface DependsOnDrift {
  id: string;
  recorded: string[];
  measured: string[];
}

/** Active bugs whose recorded dependsOn is not the measured one (order ignored). */
export function dependsOnDrift(manifest: Manifest, masking: ReadonlyMap<string, BugMasking>): DependsOnDrift[] {
  const drift: DependsOnDrift[] = [];
  for (const bug of activeBugs(manifest)) {
    const measured = masking.get(bug.id)?.dependsOn ?? [];
    const recorded = new Set(bug.dependsOn);
    const same = recorded.size === measured.length && measured.every((id) => recorded.has(id));
    if (!same) drift.push({ id: bug.id, recorded: [...bug.dependsOn], measured });
  }
  return drift;
}

/** "L1 (3/4), M2 (1/4)": who masks a bug and how many of its tests. */
export function describeMasking(m: BugMasking, total: number): string {
  return m.dependsOn.length === 0 ? '—' : m.dependsOn.map((a) => `${a} (${m.maskedBy[a]}/${total})`).join(', ');
}
