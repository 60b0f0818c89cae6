// @datanexus/grader: the public API. The environment server depends on these names and shapes.
export { GRADER_VERSION } from './version.ts';
export { CATEGORIES, CATEGORY_WEIGHTS, isCategory, type Category } from './categories.ts';
export type { TestStatus, TestResult, Results, RunResult, CommandRunner, RunnerOptions, RunnerOutput, InfraError } from './types.ts';
export { TEST_STATUSES } from './types.ts';
export { processRunner } from './runner.ts';
export { GRADER_RUNTIME_DIR, JEST_PARENT_ENTRY, openResultsChannel, parseChannel, RESULTS_FD_ENV, type ResultsChannel } from './results-channel.ts';
export { runSuite, narrowExpected, DEFAULT_SUITE_TIMEOUT_MS, type RunSuiteOptions } from './run-suite.ts';
export { normalizeJestJson } from './normalize.ts';
export { validateResults, summarize, categoryCounts, testFileOf, testPathOf, ID_SEPARATOR } from './results.ts';
export {
  loadManifest, validateManifest, activeBugs, selectBugs, mayPassWhilePresent, CLASS_BY_PREFIX,
  variantsOf, type Manifest, type BugEntry, type BugClass, type BugValidation, type FixVariant, type VariantKind,
} from './manifest.ts';
export { writeValidations, writeFailToPass, writeDependsOn } from './manifest-write.ts';
export { measureMasking, maskingFromManifest, dependsOnDrift, type BugMasking, type MaskingInput, type DependsOnDrift } from './masking.ts';
export { variantStaticProblems, samePatchedContent, PROTECTED } from './fix-variants.ts';
export { score, gradeRun, infraErrorGrade, rejectedGrade, type Grade, type ScoreOptions, type Rejection } from './score.ts';
export {
  screenTree, screenPatchText, screenPatchFiles, recordedPatches, isScreenedFile, SCREEN_RULES, type ScreenFinding, type ScreenRule,
} from './screen/index.ts';
export { materialize, applyFix, applyPatchFile, patchedFiles, type MaterializeOptions, type MaterializeResult } from './materialize.ts';
export { hashTree, type HashTreeOptions } from './hash.ts';
export { testInventory, inventoryDetails, inventoryPath, INVENTORY_SOURCES, type InventoryOptions, type InventoryDetails } from './inventory.ts';
export { verify, renderReport, judgeVariant, type VerifyOptions, type VerifyReport, type VerifyCheck, type BugVerdict } from './verify.ts';
export { discover, type DiscoverOptions, type DiscoverReport, type DiscoveredBug } from './discover/index.ts';
export { affectedFiles, normalizeChangedPath, type Affected, type Change, type ChangeKind } from './depmap/affected.ts';
export { buildDepMap, parseDepMap, DEPMAP_VERSION, type DepMap } from './depmap/map.ts';
export { allFixedDepMap, depMapPath, readDepMap, recordDepMap, writeDepMap } from './depmap/store.ts';
export type { FileDeps } from './types.ts';
export { probeServers, defaultServers, type ServerProbe } from './infra.ts';
export { streamProgress, type ProgressEvent, type ProgressFn } from './progress.ts';
export { GraderError, ERRORS, isGraderError, type ErrorCode } from './errors.ts';
export { DEFAULT_TARGET_DIR, DEFAULT_MANIFEST_PATH, REPO_ROOT } from './paths.ts';
export * from './leaderboard/index.ts';
