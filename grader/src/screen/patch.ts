// Unified diffs (the manifest's fix patches, `git diff --no-index` between two trees) read into
// what the screen needs per file: the new side as shown (to scan comments in context), which of
// its lines were added, and the code that was removed.

export interface FileChange {
  /** Path inside the tree, as the patch names it (without a/ or b/). */
  file: string;
  /** New-side line number → text, for every line the patch shows (context and added). */
  shown: Map<number, string>;
  /** New-side line numbers of added lines. */
  added: Set<number>;
  /** Removed lines' text. */
  removed: string[];
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function stripPrefix(p: string): string | null {
  const name = p.split('\t')[0]!.trim();
  if (name === '/dev/null') return null;
  return name.replace(/^"|"$/g, '').replace(/^[ab]\//, '');
}

/**
 * Every file of a unified diff. Hunk bodies are read by their line counts, so a removed line
 * that starts with "-- " is never taken for a file header. `rename` maps the names git gives
 * two arbitrary paths back to the tree's.
 */
export function parseUnifiedDiff(text: string, rename: (file: string) => string = (f) => f): FileChange[] {
  const files: FileChange[] = [];
  let current: FileChange | undefined;
  let oldName: string | null = null;
  let line = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const raw of text.split('\n')) {
    if (current && (oldLeft > 0 || newLeft > 0)) {
      if (raw.startsWith('+')) {
        current.shown.set(line, raw.slice(1));
        current.added.add(line);
        line += 1;
        newLeft -= 1;
      } else if (raw.startsWith('-')) {
        current.removed.push(raw.slice(1));
        oldLeft -= 1;
      } else if (raw.startsWith(' ') || raw === '') {
        current.shown.set(line, raw.slice(1));
        line += 1;
        oldLeft -= 1;
        newLeft -= 1;
      }
      continue;
    }
    if (raw.startsWith('--- ')) {
      oldName = stripPrefix(raw.slice(4));
      current = undefined;
    } else if (raw.startsWith('+++ ')) {
      current = { file: rename(stripPrefix(raw.slice(4)) ?? oldName ?? ''), shown: new Map(), added: new Set(), removed: [] };
      files.push(current);
    } else {
      const hunk = HUNK.exec(raw);
      if (hunk && current) {
        oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
        line = Number(hunk[2]);
        newLeft = hunk[3] === undefined ? 1 : Number(hunk[3]);
      }
    }
  }
  return files;
}
