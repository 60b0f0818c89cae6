import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { verify } from '../../grader/src/index.ts';
import type { Manifest } from '../../grader/src/manifest.ts';
import { RecordWriter } from '../../grader/src/verify/records.ts';
import { copyManifestDir, FIXTURE_TARGET, tempDir } from './helpers.ts';

// `verify --jobs n` verifies n bugs at once (grader/src/verify.ts). Each bug's trees are its own, so
// the verdicts must be the ones a one-at-a-time verification gives, and every bug's record must
// reach the manifest although the writes finish close together. Real jest runs on the fixture.

type Report = Awaited<ReturnType<typeof verify>>;

const verdicts = (r: Report): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r.bugs).map(([id, v]) => [id, { ok: v.ok, stability: v.stability, alternatives: v.alternatives, wrongFixesCaught: v.wrongFixesCaught, problems: v.problems }]));

async function verifiedCopy(jobs: number): Promise<{ report: Report; manifest: Manifest }> {
  const tmp = await tempDir(`verify-jobs-${jobs}-`);
  try {
    const manifestPath = await copyManifestDir(tmp.dir);
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, jobs });
    return { report, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest };
  } finally {
    await tmp.cleanup();
  }
}

describe('verify --jobs', () => {
  test('several bugs at once give the verdicts of one at a time, and every record is written', async () => {
    const one = await verifiedCopy(1);
    const all = await verifiedCopy(3);
    assert.equal(one.report.ok, true, JSON.stringify(one.report.problems));
    assert.deepEqual(verdicts(all.report), verdicts(one.report));
    assert.equal(all.report.ok, true);
    const ids = one.manifest.bugs.map((b) => b.id);
    assert.ok(ids.length >= 3, 'the fixture has enough bugs to run three at once');
    for (const id of ids) {
      const record = all.manifest.bugs.find((b) => b.id === id)?.validation;
      assert.equal(record?.stability, '1/1', `${id}'s record was written`);
      assert.equal(record?.inputs, one.manifest.bugs.find((b) => b.id === id)?.validation?.inputs, `${id}: same inputs either way`);
    }
    // the report keeps the manifest's order whatever order the bugs finished in
    assert.deepEqual(Object.keys(all.report.bugs), Object.keys(one.report.bugs));
  });

  test('a number of jobs below 1 or not whole is refused before anything runs', async () => {
    for (const jobs of [0, 1.5, -2]) {
      await assert.rejects(verify({ targetDir: FIXTURE_TARGET, jobs, write: false }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'GRADER_ERR_INVALID_OPTION');
        assert.match(err.message, /jobs/);
        return true;
      });
    }
  });

  test('records that end together are all written: each write waits for the one before', async () => {
    const tmp = await tempDir('verify-jobs-writer-');
    try {
      const manifestPath = await copyManifestDir(tmp.dir);
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
      const vc = { repeat: 1, quick: true, date: '2026-12-03T00:00:00.000Z', requireValidity: false, globalProblems: [] };
      const writer = new RecordWriter({ manifestPath, manifestDir: path.dirname(manifestPath) }, vc);
      const none = { good: 0, total: 0 };
      // every write starts before any has finished: without the queue each would re-read the
      // manifest before the others wrote, and only the last record would survive
      await Promise.all(manifest.bugs.map((bug, i) => writer.write({
        bug, good: 1, variants: { alternative: none, 'wrong-fix': none }, masking: undefined, problems: [], inputs: String(i).repeat(64),
      })));
      const written = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
      for (const [i, bug] of written.bugs.entries()) assert.equal(bug.validation?.inputs, String(i).repeat(64), `${bug.id}'s record`);
    } finally {
      await tmp.cleanup();
    }
  });
});
