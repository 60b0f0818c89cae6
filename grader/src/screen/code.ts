// Comments removed from JavaScript, strings kept: a rule must not fire on a comment that names
// jest, and must fire on `process.env['JEST_WORKER_ID']`. A small scanner, not a parser: it knows
// strings, template literals, line and block comments, which is all the distinction needs.

type State = 'code' | 'block' | 'single' | 'double' | 'template';

/**
 * The code of each line, comments blanked, for lines given in order. A `null` line is a gap
 * (lines not shown by a patch): the scan restarts there in code.
 */
export function codeOfLines(lines: ReadonlyArray<string | null>): string[] {
  let state: State = 'code';
  const out: string[] = [];
  for (const line of lines) {
    if (line === null) {
      state = 'code';
      out.push('');
      continue;
    }
    let code = '';
    let i = 0;
    while (i < line.length) {
      const c = line[i]!;
      const next = line[i + 1];
      if (state === 'block') {
        if (c === '*' && next === '/') {
          state = 'code';
          i += 2;
        } else i += 1;
        continue;
      }
      if (state !== 'code') {
        code += c;
        if (c === '\\') {
          code += next ?? '';
          i += 2;
          continue;
        }
        if ((state === 'single' && c === "'") || (state === 'double' && c === '"') || (state === 'template' && c === '`')) state = 'code';
        i += 1;
        continue;
      }
      if (c === '/' && next === '/') break;
      if (c === '/' && next === '*') {
        state = 'block';
        i += 2;
        continue;
      }
      if (c === "'") state = 'single';
      else if (c === '"') state = 'double';
      else if (c === '`') state = 'template';
      code += c;
      i += 1;
    }
    // a quote left open at the end of a line: only template literals span lines
    if (state === 'single' || state === 'double') state = 'code';
    out.push(code);
  }
  return out;
}
