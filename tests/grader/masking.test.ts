import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../grader/src/cli.ts';
import { dependsOnDrift, loadManifest, maskingFromManifest, measureMasking } from '../../grader/src/index.ts';
import { copyManifestDir, FIXTURE_MANIFEST_DIR, REPO, tempDir } from './helpers.ts';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => { tmp = await tempDir('grader-masking-'); });
after(async () => { await tmp.cleanup(); });

describe('measured masking', () => {
  // A fails t1 t2; B t2 t3; C t1; D t4. Shared tests make masking mutual; C has no test of its own.
  const bugs = [
    { id: 'A', failToPass: ['t1', 't2'] },
    { id: 'B', failToPass: ['t2', 't3'] },
    { id: 'C', failToPass: ['t1'] },
    { id: 'D', failToPass: ['t4'] },
  ];

  test('B depends on A exactly when a failToPass test of B also fails with only A present', () => {
    const m = measureMasking(bugs);
    assert.deepEqual(m.get('A')?.dependsOn, ['B', 'C']);
    assert.deepEqual(m.get('B')?.dependsOn, ['A']);
    assert.deepEqual(m.get('C')?.dependsOn, ['A']);
    assert.deepEqual(m.get('D')?.dependsOn, []);
    assert.deepEqual(m.get('B')?.maskedBy, { A: 1 });
    assert.deepEqual(m.get('A')?.maskedBy, { B: 1, C: 1 });
  });

  test('a bug is fully masked when every one of its tests also fails for another bug', () => {
    const m = measureMasking(bugs);
    assert.deepEqual([...m.values()].filter((b) => b.fullyMasked).map((b) => b.id), ['A', 'C']);
    assert.deepEqual(m.get('B')?.ownTests, ['t3']);
    assert.deepEqual(m.get('D')?.ownTests, ['t4']);
  });

  test('a measured failing set F(X) wider than the recorded list is what counts', () => {
    // with only D present t3 fails as well (say a run found it): B now depends on D, D stays free
    const m = measureMasking(bugs, new Map([['D', ['t3', 't4']]]));
    assert.deepEqual(m.get('B')?.dependsOn, ['A', 'D']);
    assert.equal(m.get('B')?.fullyMasked, true);
    assert.deepEqual(m.get('D')?.dependsOn, []);
  });

  test('the fixture: disjoint lists, no masking, nothing out of date', async () => {
    const manifest = await loadManifest(path.join(FIXTURE_MANIFEST_DIR, 'manifest.json'));
    const m = maskingFromManifest(manifest);
    assert.ok([...m.values()].every((b) => b.dependsOn.length === 0 && !b.fullyMasked));
    assert.deepEqual(dependsOnDrift(manifest, m), []);
  });
});

describe('the masking command', () => {
  function sink(append: (s: string) => void): Writable {
    return new Writable({ write(chunk: Buffer, _enc, cb) { append(chunk.toString()); cb(); } });
  }
  async function run(args: string[]): Promise<{ code: number; json: { drift: Array<{ id: string; measured: string[] }>; fullyMasked: string[]; written: boolean } }> {
    let out = '';
    const code = await main(['masking', ...args, '--json'], { stdout: sink((s) => { out += s; }), stderr: sink(() => {}) as unknown as NodeJS.WriteStream, cwd: REPO });
    return { code, json: JSON.parse(out) as never };
  }

  test('reports out-of-date dependsOn (exit 1), --write replaces them with the measured ones (then exit 0)', async () => {
    const m = await copyManifestDir(path.join(tmp.dir, 'cmd'));
    await copyFile(path.join(FIXTURE_MANIFEST_DIR, 'inventory.json'), path.join(path.dirname(m), 'inventory.json'));
    const data = JSON.parse(await readFile(m, 'utf8')) as { bugs: Array<{ id: string; failToPass: string[]; dependsOn: string[] }> };
    // X1 shares a test with N1; R1 records a masking that its lists do not show
    const x1 = data.bugs.find((b) => b.id === 'X1')!;
    x1.failToPass = [...data.bugs.find((b) => b.id === 'N1')!.failToPass];
    data.bugs.find((b) => b.id === 'R1')!.dependsOn = ['N1'];
    await writeFile(m, `${JSON.stringify(data, null, 2)}\n`);

    const check = await run(['--manifest', m]);
    assert.equal(check.code, 1);
    assert.deepEqual(check.json.drift.map((d) => [d.id, d.measured]), [['N1', ['X1']], ['R1', []], ['X1', ['N1']]]);
    assert.deepEqual(check.json.fullyMasked, ['N1', 'X1']);
    assert.equal(check.json.written, false);

    const write = await run(['--manifest', m, '--write']);
    assert.equal(write.code, 0);
    assert.equal(write.json.written, true);
    const after = await loadManifest(m);
    assert.deepEqual(after.bugs.map((b) => [b.id, b.dependsOn]), [['N1', ['X1']], ['R1', []], ['X1', ['N1']]]);
    assert.equal((await run(['--manifest', m])).code, 0);
  });
});
