// A scenario's bugs as the manifest's measured masking makes them: the set its workspace starts
// with (the listed bugs and the setup bugs their `dependsOn` reaches) and an order to fix them in
// that masking allows. `X.dependsOn` holds A when one of X's failToPass tests also fails with only A
// present, so X's fix cannot show (its tests cannot all pass) before A is fixed: A comes first.
// The relation is often mutual (the two share a failing test); bugs that reach each other form a
// group that no order can separate, and the order is only constrained between groups.

export interface MaskingEntry {
  id: string;
  dependsOn: readonly string[];
  failToPass: readonly unknown[];
  /** A setup bug (the lifecycle class: module loading, topology, groups, buckets, config). */
  setup?: boolean;
}

export type MaskingGraph = ReadonlyMap<string, MaskingEntry>;

/**
 * A scenario's starting set: its listed bugs plus the setup bugs their `dependsOn` reaches, followed
 * through setup bugs only. A neighbour that is not a setup bug stays fixed even where its failures
 * overlap a listed bug's: the pipeline's end-to-end tests fail for nearly any pipeline bug, so
 * following every edge reached 58 of 65 bugs, gateway and auth bugs included, and the scenario was
 * the whole target under another name (docs/scenarios.md, "The starting state").
 */
export function setupClosure(graph: MaskingGraph, ids: readonly string[]): string[] {
  for (const id of ids) if (!graph.has(id)) throw new Error(`bug ${id} is not in the manifest`);
  const seen = new Set<string>(ids);
  const stack = [...ids];
  while (stack.length > 0) {
    for (const d of graph.get(stack.pop()!)!.dependsOn) {
      const dep = graph.get(d);
      if (!dep) throw new Error(`bug ${d} is not in the manifest`);
      if (dep.setup && !seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return [...seen];
}

/** Groups of bugs that reach each other through `dependsOn` inside `ids` (strongly connected components). */
export function maskingGroups(graph: MaskingGraph, ids: readonly string[]): string[][] {
  const inSet = new Set(ids);
  const reach = new Map<string, Set<string>>();
  for (const id of ids) {
    const seen = new Set<string>();
    const stack = [...graph.get(id)!.dependsOn];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (!inSet.has(d) || seen.has(d)) continue;
      seen.add(d);
      stack.push(...graph.get(d)!.dependsOn);
    }
    reach.set(id, seen);
  }
  const groups: string[][] = [];
  const placed = new Set<string>();
  for (const id of ids) {
    if (placed.has(id)) continue;
    const group = ids.filter((o) => o === id || (reach.get(id)!.has(o) && reach.get(o)!.has(id)));
    for (const g of group) placed.add(g);
    groups.push(group);
  }
  return groups;
}

/**
 * An order to fix `ids` in that masking allows. Between groups: a group goes after every group
 * holding a bug that masks one of its bugs (topological). Ties, and the order inside a group, go to
 * the bug that masks the most bugs still present (what gates most goes first: setup bugs lead),
 * then the fewest maskers still present, then the most failToPass tests, then `rank` (the
 * scenario's narrative order), then the id.
 */
export function fixOrder(graph: MaskingGraph, ids: readonly string[], rank: (id: string) => number = () => 0): string[] {
  const groups = maskingGroups(graph, ids);
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  const order: string[] = [];
  const fixed = new Set<string>();
  const present = (id: string): boolean => groupOf.has(id) && !fixed.has(id);
  const maskersLeft = (id: string): number => graph.get(id)!.dependsOn.filter(present).length;
  const groupReady = (i: number): boolean => groups[i]!.every((id) => graph.get(id)!.dependsOn.every((d) => !present(d) || groupOf.get(d) === i));
  const masks = (id: string): number => ids.filter((x) => present(x) && graph.get(x)!.dependsOn.includes(id)).length;
  const key = (id: string): number[] => [-masks(id), maskersLeft(id), -graph.get(id)!.failToPass.length, rank(id)];
  const better = (a: string, b: string): boolean => {
    const keyA = key(a);
    const keyB = key(b);
    for (let k = 0; k < keyA.length; k += 1) if (keyA[k] !== keyB[k]) return keyA[k]! < keyB[k]!;
    return a < b;
  };
  while (order.length < ids.length) {
    const candidates = ids.filter((id) => present(id) && groupReady(groupOf.get(id)!));
    // a group stays open once started: its bugs only show together, so it is finished first
    const started = candidates.filter((id) => groups[groupOf.get(id)!]!.some((g) => fixed.has(g)));
    const pool = started.length > 0 ? started : candidates;
    const next = pool.reduce((best, id) => (better(id, best) ? id : best));
    order.push(next);
    fixed.add(next);
  }
  return order;
}

export interface OrderViolation {
  bug: string;
  maskedBy: string;
}

/**
 * The pairs an order breaks: X fixed before a bug A of the set that masks it, unless X and A are in
 * one group (mutual masking, which no order can respect).
 */
export function orderViolations(graph: MaskingGraph, order: readonly string[]): OrderViolation[] {
  const position = new Map(order.map((id, i) => [id, i]));
  const groupOf = new Map<string, number>();
  maskingGroups(graph, order).forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  const out: OrderViolation[] = [];
  for (const bug of order) {
    for (const a of graph.get(bug)!.dependsOn) {
      if (!position.has(a) || groupOf.get(a) === groupOf.get(bug)) continue;
      if (position.get(a)! > position.get(bug)!) out.push({ bug, maskedBy: a });
    }
  }
  return out;
}
