// A unified diff parser for what agents and `git diff` produce: git headers (new/deleted file,
// renames, modes), plain ---/+++ headers, hunks with "\ No newline at end of file". Binary
// patches are refused. Paths keep their a/ b/ prefixes stripped (git style, -p1); paths
// without such a prefix are taken as they are.

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Each line with its marker: ' ' context, '-' removed, '+' added. */
  lines: string[];
  oldNoEol: boolean;
  newNoEol: boolean;
}

export interface FilePatch {
  /** null for a created file. */
  oldPath: string | null;
  /** null for a deleted file. */
  newPath: string | null;
  hunks: Hunk[];
  newMode?: number;
}

export class PatchParseError extends Error {
  override readonly name = 'PatchParseError';
}

function unquote(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  // git C-quotes paths with unusual characters: "a/sp ace\t.js"
  try {
    return JSON.parse(raw.replace(/\\([0-7]{3})/g, (_, oct: string) => `\\u00${Number.parseInt(oct, 8).toString(16).padStart(2, '0')}`)) as string;
  } catch {
    throw new PatchParseError(`cannot read the quoted path ${raw}`);
  }
}

function headerPath(rest: string): string | null {
  // "--- a/x.js\t2024-01-01 …": a tab ends the name in traditional diffs
  let raw = rest.replace(/\r$/, '');
  if (!raw.startsWith('"')) raw = raw.split('\t')[0]!.trimEnd();
  const p = unquote(raw);
  if (p === '/dev/null') return null;
  return stripPrefix(p);
}

function stripPrefix(p: string): string {
  return p.startsWith('a/') || p.startsWith('b/') ? p.slice(2) : p;
}

/** "\\ No newline at end of file" refers to the line just before it. */
function markNoEol(hunk: Hunk): void {
  const last = hunk.lines.at(-1);
  if (last?.startsWith('-')) hunk.oldNoEol = true;
  else if (last?.startsWith('+')) hunk.newNoEol = true;
  else {
    hunk.oldNoEol = true;
    hunk.newNoEol = true;
  }
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** An extended git header line (new/deleted file, rename, mode) of the section being read. */
function applyGitHeader(current: FilePatch, line: string): void {
  if (line.startsWith('new file mode ')) {
    current.oldPath = null;
    current.newMode = Number.parseInt(line.slice('new file mode '.length), 8);
  } else if (line.startsWith('deleted file mode ')) current.newPath = null;
  else if (line.startsWith('rename from ')) current.oldPath = unquote(line.slice('rename from '.length));
  else if (line.startsWith('rename to ')) current.newPath = unquote(line.slice('rename to '.length));
  else if (line.startsWith('new mode ')) current.newMode = Number.parseInt(line.slice('new mode '.length), 8);
  else if (line.startsWith('GIT binary patch') || line.startsWith('Binary files ')) throw new PatchParseError(`binary patches are not supported (${current.newPath ?? current.oldPath})`);
}

/** Reads the hunk whose header is at `lines[at]`, exactly as many lines as the header counts; returns it and the index after it. */
function readHunk(lines: string[], at: number, hm: RegExpExecArray): { hunk: Hunk; next: number } {
  const hunk: Hunk = {
    oldStart: Number(hm[1]), oldLines: hm[2] === undefined ? 1 : Number(hm[2]),
    newStart: Number(hm[3]), newLines: hm[4] === undefined ? 1 : Number(hm[4]),
    lines: [], oldNoEol: false, newNoEol: false,
  };
  const headerLine = at + 1;
  let i = at + 1;
  let oldSeen = 0;
  let newSeen = 0;
  while (oldSeen < hunk.oldLines || newSeen < hunk.newLines) {
    if (i >= lines.length) throw new PatchParseError(`the hunk at line ${headerLine} ends early: expected ${hunk.oldLines} old and ${hunk.newLines} new lines, got ${oldSeen} and ${newSeen}`);
    const raw = lines[i]!;
    const marker = raw === '' || raw === '\r' ? ' ' : raw[0];
    const body = raw === '' || raw === '\r' ? '' : raw.slice(1);
    i += 1;
    if (marker === '\\') {
      markNoEol(hunk);
      continue;
    }
    if (marker !== ' ' && marker !== '-' && marker !== '+') {
      throw new PatchParseError(`line ${i}: expected a hunk line starting with ' ', '-' or '+', got ${JSON.stringify(raw.slice(0, 40))}`);
    }
    if (marker !== '+') oldSeen += 1;
    if (marker !== '-') newSeen += 1;
    if (oldSeen > hunk.oldLines || newSeen > hunk.newLines) throw new PatchParseError(`line ${i}: the hunk has more lines than its header @@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@ says`);
    hunk.lines.push(marker + body);
  }
  // "\ No newline at end of file" refers to the line just before it
  while (i < lines.length && lines[i]!.startsWith('\\')) {
    markNoEol(hunk);
    i += 1;
  }
  return { hunk, next: i };
}

export function parseUnifiedDiff(text: string): FilePatch[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const patches: FilePatch[] = [];
  let current: (FilePatch & { sawHeaders: boolean; git: boolean }) | undefined;
  let i = 0;

  const finish = (): void => {
    if (!current) return;
    if (current.oldPath === undefined && current.newPath === undefined) throw new PatchParseError('a file section has no paths');
    if (current.hunks.length === 0 && !current.git) throw new PatchParseError(`the section for ${current.newPath ?? current.oldPath} has no hunks`);
    const { sawHeaders: _s, git: _g, ...patch } = current;
    patches.push(patch);
    current = undefined;
  };

  while (i < lines.length) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.startsWith('diff --git ')) {
      finish();
      const m = /^diff --git (?:"[^"]*"|\S+) ("[^"]*"|\S+)$/.exec(line);
      const guess = m ? stripPrefix(unquote(m[1]!)) : null;
      current = { oldPath: guess, newPath: guess, hunks: [], sawHeaders: false, git: true };
      i += 1;
      continue;
    }
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      if (!current || current.sawHeaders || current.hunks.length > 0) {
        finish();
        current = { oldPath: null, newPath: null, hunks: [], sawHeaders: false, git: false };
      }
      current.oldPath = headerPath(line.slice(4));
      current.newPath = headerPath(lines[i + 1]!.slice(4));
      current.sawHeaders = true;
      i += 2;
      continue;
    }
    if (current?.git && !current.sawHeaders && current.hunks.length === 0) {
      applyGitHeader(current, line);
      i += 1;
      continue;
    }
    const hm = HUNK_RE.exec(line);
    if (hm) {
      if (!current || !current.sawHeaders) throw new PatchParseError(`line ${i + 1}: a hunk without ---/+++ file headers before it`);
      const read = readHunk(lines, i, hm);
      current.hunks.push(read.hunk);
      i = read.next;
      continue;
    }
    // Anything else (a commit message, "index …" lines, blank lines between files) is ignored.
    i += 1;
  }
  finish();
  if (patches.length === 0) throw new PatchParseError('no file changes found: expected a unified diff with ---/+++ headers and @@ hunks');
  return patches;
}
