import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadManifest } from '@datanexus/grader';
import { TaskCatalogue } from '../../environment/src/grading/tasks.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { fixOrder, maskingGroups, setupClosure, orderViolations, type MaskingEntry } from '../../environment/src/scenarios/fix-order.ts';
import { maskingGraph } from '../../environment/src/scenarios/tasks.ts';
import { walkthroughPlan } from '../../environment/src/walkthrough/plan.ts';
import { DOC_BEGIN, DOC_END } from '../../environment/src/walkthrough/render.ts';
import { REPO, tempDir } from './fixtures.ts';

// scenarios/: the index and its schema, the scenario task built from the real manifest (no tree is
// materialized here: listing a task only reads the manifest and the scenario files), and the fix
// order the walkthrough replays.

const SCENARIOS = path.join(REPO, 'scenarios');
const MANIFEST = path.join(REPO, 'bug-manifest', 'manifest.json');
const SCENARIO_1 = ['E2', 'E4', 'M5', 'T5', 'W3', 'W8', 'W9', 'P2', 'P7', 'R5', 'W1', 'W4', 'W5', 'M1', 'M10', 'M11', 'M12', 'M9', 'B10', 'M15', 'B9', 'R11'];

const readJson = async (file: string): Promise<any> => JSON.parse(await readFile(file, 'utf8'));

/** The starting set computed here independently of the environment's code: a breadth-first walk into setup (lifecycle) bugs. */
function closureOf(bugs: { id: string; dependsOn: string[]; class: string }[], start: string[]): string[] {
  const byId = new Map(bugs.map((b) => [b.id, b]));
  const seen = new Set(start);
  const queue = [...start];
  while (queue.length > 0) {
    for (const d of byId.get(queue.shift()!)!.dependsOn) if (!seen.has(d) && byId.get(d)?.class === 'lifecycle') (seen.add(d), queue.push(d));
  }
  return bugs.map((b) => b.id).filter((id) => seen.has(id));
}

describe('scenarios/index.json', () => {
  test('validates against its JSON Schema, and the schema rejects what it must', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const schemaValidate = ajv.compile(await readJson(path.join(SCENARIOS, 'index.schema.json')));
    // a plain predicate: ajv's type guard would narrow the index to unknown
    const validate = Object.assign((data: unknown): boolean => schemaValidate(data), { get errors() { return schemaValidate.errors; } });
    const index = await readJson(path.join(SCENARIOS, 'index.json'));
    assert.ok(validate(index), JSON.stringify(validate.errors));
    assert.deepEqual(index.scenarios.map((s: { id: string }) => s.id), ['01', '02', '03', '04', '05']);
    const playable = structuredClone(index);
    delete playable.scenarios[0].walkthrough;
    assert.equal(validate(playable), false, 'a playable scenario must name its walkthrough');
    const badForm = structuredClone(index);
    badForm.scenarios[1].form = 'tweet';
    assert.equal(validate(badForm), false);
    assert.ok(validate(await readJson(path.join(REPO, 'tests', 'fixtures', 'mini-scenarios', 'index.json'))), JSON.stringify(validate.errors));
  });

  test('scenario 01 is playable with its 22 bugs; 02–05 are planned and list only ids the catalogue gives them', async () => {
    const index = await readJson(path.join(SCENARIOS, 'index.json'));
    const [one, ...rest] = index.scenarios;
    assert.equal(one.status, 'playable');
    assert.deepEqual([...one.bugs].sort(), [...SCENARIO_1].sort());
    for (const s of rest) assert.equal(s.status, 'planned', s.id);
    const files = await readdir(SCENARIOS);
    for (const f of [one.incident, one.hints, one.walkthrough]) assert.ok(files.includes(f), f);
    const manifest = await loadManifest(MANIFEST);
    for (const id of one.bugs) assert.ok(manifest.bugs.some((b) => b.id === id), `${id} is in the manifest`);
    for (const t of one.systemTests) await readFile(path.join(REPO, 'target', 'tests', t), 'utf8');
    // the curve's place in the walkthrough: only `walkthrough --write-doc` writes between the markers
    const walkthrough = await readFile(path.join(SCENARIOS, one.walkthrough), 'utf8');
    assert.ok(walkthrough.indexOf(DOC_BEGIN) !== -1 && walkthrough.indexOf(DOC_END) > walkthrough.indexOf(DOC_BEGIN));
  });

  test('the incident document gives nothing away: no bug ids, no source paths', async () => {
    const text = await readFile(path.join(SCENARIOS, '01-stream-processing-data-loss.md'), 'utf8');
    const manifest = await loadManifest(MANIFEST);
    for (const b of manifest.bugs) assert.doesNotMatch(text, new RegExp(`\\b${b.id}\\b`), b.id);
    assert.doesNotMatch(text, /services\/|shared\/|\.js\b|src\//);
    assert.ok(text.length > 1500, 'an incident, not a stub');
  });
});

describe('task scenario:01 on the real manifest', () => {
  test('is listed, in reward mode, with the scenario\'s bugs and their dependsOn closure as bugs and bonus pool', async () => {
    const opts = resolveOptions({ workRoot: await tempDir('dn-scen-'), namespaceModule: null });
    assert.equal(opts.scenariosDir, SCENARIOS, 'scenarios/ next to the target by default');
    const tasks = await new TaskCatalogue(opts).list();
    const task = tasks.find((t) => t.id === 'scenario:01');
    assert.ok(task, `listed: ${tasks.map((t) => t.id).slice(-3).join(', ')}`);
    assert.equal(task.kind, 'scenario');
    assert.equal(task.mode, 'reward');
    const manifest = await loadManifest(MANIFEST);
    const expected = closureOf(manifest.bugs.filter((b) => b.status === 'active'), SCENARIO_1);
    assert.deepEqual(task.bugs, expected);
    assert.deepEqual(task.taskBugs, expected);
    assert.ok(expected.length > SCENARIO_1.length, 'setup bugs join the scenario\'s own');
    for (const setup of ['L1', 'L2', 'L4', 'L8']) assert.ok(expected.includes(setup), setup);
    assert.equal(task.description, (await readFile(path.join(SCENARIOS, '01-stream-processing-data-loss.md'), 'utf8')).trim());
    assert.match(task.hints ?? '', /^## Hints/);
    assert.ok(!tasks.some((t) => t.id === 'scenario:02'), 'planned scenarios are not tasks');
  });

  test('the walkthrough\'s fix order is a permutation of the bug set that respects the measured dependsOn', async () => {
    const manifest = await loadManifest(MANIFEST);
    const plan = await walkthroughPlan({ manifestPath: MANIFEST, scenariosDir: SCENARIOS, id: '01' });
    const graph = maskingGraph(manifest);
    assert.deepEqual([...plan.order].sort(), closureOf(manifest.bugs.filter((b) => b.status === 'active'), SCENARIO_1).sort());
    assert.deepEqual(orderViolations(graph, plan.order), []);
    // every group of mutually masking bugs is fixed as one block, and setup comes first
    const position = new Map(plan.order.map((id, i) => [id, i]));
    for (const g of plan.groups) {
      const at = g.map((id) => position.get(id)!).sort((a, b) => a - b);
      assert.equal(at[at.length - 1]! - at[0]!, g.length - 1, `group ${g.join(' ')} is contiguous`);
    }
    // the first fix is the bug that masks the most of the set: what gates most goes first
    const masks = (id: string): number => plan.order.filter((x) => graph.get(x)!.dependsOn.includes(id)).length;
    assert.equal(masks(plan.order[0]!), Math.max(...plan.order.map(masks)));
    assert.ok(plan.order.some((id) => manifest.bugs.find((b) => b.id === id)!.class === 'lifecycle'), 'setup bugs are part of the plan');
  });
});

describe('fix order (synthetic masking)', () => {
  const graph = (edges: Record<string, string[]>, tests: Record<string, number> = {}): Map<string, MaskingEntry> =>
    new Map(Object.entries(edges).map(([id, dependsOn]) => [id, { id, dependsOn, failToPass: Array.from({ length: tests[id] ?? 1 }) }]));

  test('a chain is fixed from the masking end; a bug masked by another comes after it', () => {
    const g = graph({ C: ['B'], B: ['A'], A: [] });
    assert.deepEqual(fixOrder(g, ['C', 'B', 'A']), ['A', 'B', 'C']);
    assert.deepEqual(orderViolations(g, ['A', 'B', 'C']), []);
    assert.deepEqual(orderViolations(g, ['C', 'A', 'B']), [{ bug: 'C', maskedBy: 'B' }]);
  });

  test('mutual masking forms one group that no order separates; groups are topologically ordered', () => {
    const g = graph({ A: ['B'], B: ['A'], C: ['A'], D: [] }, { B: 5 });
    assert.deepEqual(maskingGroups(g, ['A', 'B', 'C', 'D']).map((x) => [...x].sort()), [['A', 'B'], ['C'], ['D']]);
    const order = fixOrder(g, ['A', 'B', 'C', 'D']);
    assert.deepEqual(orderViolations(g, order), []);
    assert.ok(order.indexOf('C') > order.indexOf('A') && order.indexOf('C') > order.indexOf('B'));
    assert.deepEqual(orderViolations(g, ['B', 'A', 'C', 'D']), [], 'inside a group either order is allowed');
  });

  test('the starting set adds the setup bugs dependsOn reaches, through setup bugs only, and names a bug it does not know', () => {
    // A is listed; S1, S2 are setup bugs; N is a neighbour whose failures overlap A's
    const g = new Map<string, MaskingEntry>([
      ['A', { id: 'A', dependsOn: ['S1', 'N'], failToPass: [1] }],
      ['S1', { id: 'S1', dependsOn: ['S2', 'N'], failToPass: [1], setup: true }],
      ['S2', { id: 'S2', dependsOn: ['S1'], failToPass: [1], setup: true }],
      ['N', { id: 'N', dependsOn: ['S3'], failToPass: [1] }],
      ['S3', { id: 'S3', dependsOn: [], failToPass: [1], setup: true }],
    ]);
    assert.deepEqual(setupClosure(g, ['A']).sort(), ['A', 'S1', 'S2'], 'N stays fixed, and S3, reached only through N, with it');
    assert.deepEqual(setupClosure(g, ['A', 'N']).sort(), ['A', 'N', 'S1', 'S2', 'S3'], 'a listed neighbour brings its own setup bugs');
    assert.throws(() => setupClosure(graph({ A: ['Z'] }), ['A']), /bug Z is not in the manifest/);
    assert.throws(() => setupClosure(g, ['Q']), /bug Q is not in the manifest/);
  });
});
