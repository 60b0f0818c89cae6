import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { verify } from '../../grader/src/index.ts';
import type { Manifest } from '../../grader/src/manifest.ts';
import { copyManifestDir, copyTarget, FIXTURE_TARGET, tempDir } from './helpers.ts';

// `verify --reuse`: a recorded validation stands for a bug's runs only while nothing its checks
// read has changed (grader/src/verify/reuse.ts). The fixture's verification is real (jest runs).

const readManifest = async (p: string): Promise<Manifest> => JSON.parse(await readFile(p, 'utf8')) as Manifest;
const ranFor = (r: Awaited<ReturnType<typeof verify>>, id: string): number => r.checks.filter((c) => c.bug === id && c.run !== undefined).length;

/** A copy of the fixture manifest whose records one verification with `opts` has written; the copy is removed after `body`. */
async function withRecords(
  prefix: string,
  opts: Parameters<typeof verify>[0],
  body: (r: { dir: string; manifestPath: string; first: Awaited<ReturnType<typeof verify>> }) => Promise<void>,
): Promise<void> {
  const tmp = await tempDir(prefix);
  try {
    const manifestPath = await copyManifestDir(tmp.dir);
    const first = await verify({ targetDir: FIXTURE_TARGET, manifestPath, ...opts });
    assert.equal(first.ok, true, JSON.stringify(first.checks.filter((c) => !c.ok), null, 2));
    await body({ dir: tmp.dir, manifestPath, first });
  } finally {
    await tmp.cleanup();
  }
}

describe('verify --reuse', () => {
  test('keeps validations whose inputs are unchanged, runs again the bug whose list, patch or target changed', async () => {
    await withRecords('verify-reuse-', { repeat: 1 }, async ({ dir, manifestPath }) => {
      const recorded = await readManifest(manifestPath);
      const ids = recorded.bugs.map((b) => b.id);
      for (const b of recorded.bugs) assert.match(b.validation?.inputs ?? '', /^[0-9a-f]{64}$/, `${b.id} records its inputs`);

      // nothing changed: every bug kept, no bug or variant tree run, the all-fixed runs kept by
      // their record; the shipped tree still runs
      const allFixed = JSON.parse(await readFile(path.join(path.dirname(manifestPath), 'all-fixed.json'), 'utf8')) as { runs: number; tests: number };
      assert.equal(allFixed.runs, 1);
      const same = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, reuse: true, write: false });
      assert.equal(same.ok, true);
      for (const id of ids) {
        assert.equal(same.bugs[id]?.reused, true, id);
        assert.equal(ranFor(same, id), 0, `${id} ran nothing`);
      }
      const keptAllFixed = same.checks.filter((c) => c.step === 'all-fixed');
      assert.equal(keptAllFixed.length, 1);
      assert.match(keptAllFixed[0]!.detail ?? '', /^kept: passed 1\/1 on this tree/);
      assert.ok(same.checks.some((c) => c.step === 'shipped'));

      // a longer verification than was recorded tops the record up: only the missing run is made,
      // and the verdict counts the kept run with it
      const more = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 2, reuse: true, write: false, bugs: [ids[0]!] });
      // a record of one all-fixed run does not stand for two
      assert.deepEqual(more.checks.filter((c) => c.step === 'all-fixed').map((c) => /^kept/.test(c.detail ?? '')), [false, false]);
      const topped = more.bugs[ids[0]!]!;
      assert.equal(topped.reused, undefined);
      assert.equal(topped.keptRuns, 1);
      assert.equal(topped.stability, '2/2');
      assert.equal(topped.validation?.runs, 2);
      const runs = more.checks.filter((c) => c.bug === ids[0] && c.run !== undefined);
      assert.ok(runs.length > 0 && runs.every((c) => c.run === 2), `only run 2 was made: ${runs.map((c) => c.run).join(',')}`);
      // the alternative and wrong-fix tallies add the kept run's to the new one's
      const variants = recorded.bugs.find((b) => b.id === ids[0])!;
      if (variants.alternatives?.length) assert.equal(topped.alternatives, `${2 * variants.alternatives.length}/${2 * variants.alternatives.length}`);

      // a full verification over a quick record is not a top-up: a quick run proves less
      const quick = await verify({ targetDir: FIXTURE_TARGET, manifestPath, quick: true, write: false, bugs: [ids[0]!] });
      assert.equal(quick.ok, true);
      const quickRecord = structuredClone(recorded);
      quickRecord.bugs[0]!.validation = quick.bugs[ids[0]!]!.validation;
      await writeFile(manifestPath, JSON.stringify(quickRecord, null, 2));
      const overQuick = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 2, reuse: true, write: false, bugs: [ids[0]!] });
      assert.equal(overQuick.bugs[ids[0]!]?.keptRuns, undefined);
      assert.deepEqual([...new Set(overQuick.checks.filter((c) => c.bug === ids[0] && c.run !== undefined).map((c) => c.run))].sort(), [1, 2]);
      await writeFile(manifestPath, JSON.stringify(recorded, null, 2));

      // one bug's failToPass list edited: that bug runs (and fails: the list is wrong), the others are kept
      const edited = await readManifest(manifestPath);
      const victim = edited.bugs.find((b) => b.failToPass.length >= 2)!;
      victim.failToPass = victim.failToPass.slice(1);
      await writeFile(manifestPath, JSON.stringify(edited, null, 2));
      const listChanged = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, reuse: true, write: false });
      assert.equal(listChanged.bugs[victim.id]?.reused, undefined);
      assert.equal(listChanged.bugs[victim.id]?.ok, false, 'the shortened list is caught, not kept');
      for (const id of ids.filter((i) => i !== victim.id)) assert.equal(listChanged.bugs[id]?.reused, true, id);
      await writeFile(manifestPath, JSON.stringify(recorded, null, 2));

      // any change to the target: nothing is kept (the tree is one of every check's inputs)
      const target = await copyTarget(dir);
      await writeFile(`${target}/README.md`, 'changed\n', { flag: 'a' });
      const treeChanged = await verify({ targetDir: target, manifestPath, repeat: 1, reuse: true, write: false });
      assert.equal(treeChanged.ok, true);
      for (const id of ids) assert.equal(treeChanged.bugs[id]?.reused, undefined, id);
      assert.ok(treeChanged.checks.some((c) => c.step === 'all-fixed' && !/^kept/.test(c.detail ?? '')), 'the all-fixed suite ran on the changed tree');
    });
  });

  test('a quick record stands by what its runs read: an edit elsewhere in the target keeps it, an edit of a file it read does not', async () => {
    await withRecords('verify-reads-', { quick: true }, async ({ dir, manifestPath }) => {
      const recorded = await readManifest(manifestPath);
      const reads = JSON.parse(await readFile(path.join(path.dirname(manifestPath), 'validation-reads.json'), 'utf8')) as { bugs: Record<string, { key: string; read: string[] }> };
      for (const b of recorded.bugs.filter((x) => x.id !== 'X1')) {
        assert.match(b.validation?.readsKey ?? '', /^[0-9a-f]{64}$/, `${b.id} records a second key`);
        assert.equal(reads.bugs[b.id]?.key, b.validation?.readsKey, `${b.id}: the paths are kept under the record's key`);
      }
      // X1's test file does not load on its bug's tree (the module it requires is missing): a file
      // that crashes reports no reads, so the record gets no second key
      const x1 = recorded.bugs.find((b) => b.id === 'X1')!;
      assert.equal(x1.validation?.readsKey, undefined);
      assert.equal(reads.bugs.X1, undefined);
      assert.ok(reads.bugs.N1!.read.includes('src/stats.js') && !reads.bugs.N1!.read.includes('src/retry.js'), reads.bugs.N1!.read.join(' '));

      // R1's source edited and a file added: the target hash changed for all, only R1 read the change
      const target = await copyTarget(dir);
      await writeFile(`${target}/src/retry.js`, '// a comment an agent might add\n', { flag: 'a' });
      await writeFile(`${target}/src/unused.js`, 'module.exports = 1;\n');
      const edited = await verify({ targetDir: target, manifestPath, quick: true, reuse: true });
      assert.equal(edited.ok, true, JSON.stringify(edited.checks.filter((c) => !c.ok), null, 2));
      assert.equal(edited.bugs.R1?.reused, undefined, 'R1 read src/retry.js: it runs again');
      assert.ok(ranFor(edited, 'R1') > 0);
      assert.equal(edited.bugs.N1?.reused, true);
      assert.equal(ranFor(edited, 'N1'), 0, 'N1 ran nothing');
      assert.match(edited.checks.find((c) => c.bug === 'N1')?.label ?? '', /none of the \d+ paths its runs read has changed/);
      assert.equal(edited.bugs.X1?.reused, undefined, 'X1 has no second key: the target changed, it runs again');
      // kept records are restamped with today's inputs, so the next verification keeps them by the first key
      const after = await readManifest(manifestPath);
      const again = await verify({ targetDir: target, manifestPath, quick: true, reuse: true, write: false });
      for (const b of after.bugs) assert.match(again.checks.find((c) => c.bug === b.id)?.label ?? '', /nothing its checks read has changed/, b.id);

      // a full verification never keeps a quick record, by either key
      const full = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, reuse: true, write: false, bugs: ['N1'] });
      assert.equal(full.bugs.N1?.reused, undefined);
    });
  });

  test('a full record stands by its reads while today\'s map selects nothing its trees did not run, and is topped up by them', async () => {
    await withRecords('verify-full-reads-', { repeat: 1 }, async ({ dir, manifestPath, first }) => {
      assert.equal(first.selection, 'affected');
      const recorded = await readManifest(manifestPath);
      const reads = JSON.parse(await readFile(path.join(path.dirname(manifestPath), 'validation-reads.json'), 'utf8')) as { bugs: Record<string, { key: string; trees?: Record<string, { files: string[] }> }> };
      const r1 = recorded.bugs.find((b) => b.id === 'R1')!;
      assert.equal(r1.validation?.mode, 'full');
      assert.equal(reads.bugs.R1?.key, r1.validation?.readsKey);
      const trees = reads.bugs.R1!.trees!;
      assert.deepEqual(Object.keys(trees).sort(), ['bug', r1.alternatives![0]!.patch, r1.wrongFixes![0]!.patch].sort(), 'one selection per tree');
      assert.ok(trees.bug!.files.includes('tests/chaos/retry.test.js'));

      // an edit R1's runs did not read keeps it, restamped; a repeat of 2 tops it up by one run
      const target = await copyTarget(dir);
      await writeFile(`${target}/src/unused.js`, 'module.exports = 1;\n');
      const kept = await verify({ targetDir: target, manifestPath, repeat: 1, reuse: true, write: false, bugs: ['R1'] });
      assert.equal(kept.ok, true, JSON.stringify(kept.checks.filter((c) => !c.ok), null, 2));
      assert.equal(kept.bugs.R1?.reused, true);
      assert.match(kept.checks.find((c) => c.bug === 'R1')?.label ?? '', /none of the \d+ paths its runs read has changed/);
      const topped = await verify({ targetDir: target, manifestPath, repeat: 2, reuse: true, bugs: ['R1'] });
      assert.equal(topped.bugs.R1?.keptRuns, 1);
      assert.deepEqual([...new Set(topped.checks.filter((c) => c.bug === 'R1' && c.run !== undefined).map((c) => c.run))], [2]);
      const after = (await readManifest(manifestPath)).bugs.find((b) => b.id === 'R1')!;
      assert.equal(after.validation?.runs, 2);
      assert.match(after.validation?.readsKey ?? '', /^[0-9a-f]{64}$/, 'the topped-up record keeps a key over the kept and the new runs');

      // a new test file that reads R1's source: today's map selects it, R1's trees never ran it
      await writeFile(`${target}/tests/unit/retry-loads.test.js`, "const retry = require('../../src/retry');\ntest('loads', () => expect(typeof retry).toBe('object'));\n");
      const grown = await verify({ targetDir: target, manifestPath, repeat: 2, reuse: true, write: false, bugs: ['R1'] });
      assert.equal(grown.bugs.R1?.reused, undefined, 'a selection that grew runs again');
      assert.equal(grown.bugs.R1?.keptRuns, undefined);
      assert.ok(grown.checks.some((c) => c.bug === 'R1' && c.run === 1 && /\(in \d+ file\(s\)\)/.test(c.label)));

      // a quick verification keeps it: the full runs ran the failToPass files too, and read nothing that changed
      const quick = await verify({ targetDir: target, manifestPath, quick: true, reuse: true, write: false, bugs: ['R1'] });
      assert.equal(quick.bugs.R1?.reused, true);
    });
  });
});
