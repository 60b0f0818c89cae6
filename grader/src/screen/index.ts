export { SCREEN_RULES, type ScreenRule } from './rules.ts';
export { screenChange, screenChanges, screenPatchText, screenPatchFiles, screenTree, isScreenedFile, type ScreenFinding } from './screen.ts';
export { recordedPatches } from './recorded.ts';
export { parseUnifiedDiff, type FileChange } from './patch.ts';
export { codeOfLines } from './code.ts';
export { changedFiles } from './changed.ts';
