// Plots as inline SVG strings, drawn on the server side: the report needs no script, no font
// and no network. Every mark has a <title>, which browsers show as a tooltip.

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (v: number): string => (Math.round(v * 10) / 10).toString();

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(s)}</text>`;
}

function svg(width: number, height: number, label: string, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">${body.join('')}</svg>`;
}

export interface Bar {
  label: string;
  value: number | null;
  low?: number | null;
  high?: number | null;
  note?: string;
}

/** Horizontal bars on [min, max] with optional interval whiskers; a null value is written, not drawn as 0. */
export function barChart(bars: Bar[], opts: { label: string; min: number; max: number }): string {
  const left = 190; const right = 60; const width = 720; const row = 30; const top = 24;
  const height = top + bars.length * row + 30;
  const scale = (v: number): number => left + ((Math.min(Math.max(v, opts.min), opts.max) - opts.min) / (opts.max - opts.min)) * (width - left - right);
  const body: string[] = [];
  for (let t = 0; t <= 4; t += 1) {
    const v = opts.min + ((opts.max - opts.min) * t) / 4;
    body.push(`<line x1="${n(scale(v))}" x2="${n(scale(v))}" y1="${top - 6}" y2="${height - 24}" stroke="#ddd"/>`, text(scale(v), height - 8, v.toFixed(2), 'text-anchor="middle" fill="#555"'));
  }
  bars.forEach((b, i) => {
    const y = top + i * row;
    body.push(text(left - 8, y + 17, b.label, 'text-anchor="end"'));
    if (b.value === null) {
      body.push(text(left + 4, y + 17, b.note ?? 'no graded episode', 'fill="#777" font-style="italic"'));
      return;
    }
    const x0 = scale(Math.max(opts.min, 0));
    const x1 = scale(b.value);
    body.push(`<rect x="${n(Math.min(x0, x1))}" y="${y + 4}" width="${n(Math.max(Math.abs(x1 - x0), 1))}" height="${row - 10}" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.75"><title>${esc(`${b.label}: ${b.value.toFixed(3)}${b.note ? ` (${b.note})` : ''}`)}</title></rect>`);
    if (b.low != null && b.high != null) {
      const yc = y + row / 2 - 1;
      body.push(`<g stroke="#222" stroke-width="1.5"><line x1="${n(scale(b.low))}" x2="${n(scale(b.high))}" y1="${yc}" y2="${yc}"/><line x1="${n(scale(b.low))}" x2="${n(scale(b.low))}" y1="${yc - 6}" y2="${yc + 6}"/><line x1="${n(scale(b.high))}" x2="${n(scale(b.high))}" y1="${yc - 6}" y2="${yc + 6}"/><title>${esc(`95% interval [${b.low.toFixed(3)}, ${b.high.toFixed(3)}]`)}</title></g>`);
    }
    body.push(text(Math.max(x1, b.high != null ? scale(b.high) : x1) + 6, y + 17, b.value.toFixed(3), 'fill="#333"'));
  });
  return svg(width, height, opts.label, body);
}

export interface HeatCell {
  rate: number | null;
  label: string;
  title: string;
}

/** Agents × columns; colour from red (0) to green (1); grey hatched for "only infra errors", blank for "not run". */
export function heatmap(rows: string[], columns: string[], cellOf: (row: string, column: string) => HeatCell | undefined, label: string): string {
  const left = 190; const cw = Math.max(56, Math.min(110, Math.floor(560 / Math.max(columns.length, 1)))); const ch = 30; const top = 70;
  const width = left + columns.length * cw + 10;
  const height = top + rows.length * ch + 10;
  const body: string[] = [`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>`];
  columns.forEach((c, j) => body.push(text(left + j * cw + cw / 2, top - 8, c, `text-anchor="start" transform="rotate(-35 ${n(left + j * cw + cw / 2)} ${top - 8})"`)));
  rows.forEach((r, i) => {
    const y = top + i * ch;
    body.push(text(left - 8, y + 19, r, 'text-anchor="end"'));
    columns.forEach((c, j) => {
      const cell = cellOf(r, c);
      const x = left + j * cw;
      if (!cell) {
        body.push(`<rect x="${x}" y="${y}" width="${cw - 2}" height="${ch - 2}" fill="#fff" stroke="#eee"><title>${esc(`${r} · ${c}: not run`)}</title></rect>`);
        return;
      }
      const fill = cell.rate === null ? 'url(#hatch)' : `hsl(${n(cell.rate * 120)}, 65%, ${n(72 - cell.rate * 20)}%)`;
      body.push(`<rect x="${x}" y="${y}" width="${cw - 2}" height="${ch - 2}" fill="${fill}"><title>${esc(cell.title)}</title></rect>`, text(x + (cw - 2) / 2, y + 19, cell.label, 'text-anchor="middle" font-size="11"'));
    });
  });
  return svg(width, height, label, body);
}

export interface Point {
  x: number;
  y: number;
  series: number;
  title: string;
}

/** Scatter of points with a legend; axes from 0 to the largest x and y in [min(0, lowest y), max(1, highest y)]. */
export function scatter(points: Point[], series: string[], opts: { label: string; xLabel: string; yLabel: string }): string {
  const left = 60; const right = 180; const top = 16; const bottom = 46; const width = 720; const height = 320;
  // whole-step ticks: 4 intervals of an integer width
  const xStep = Math.max(1, Math.ceil(Math.max(1, ...points.map((p) => p.x)) / 4));
  const xMax = xStep * 4;
  const yMin = Math.min(0, ...points.map((p) => p.y));
  const yMax = Math.max(1, ...points.map((p) => p.y));
  const sx = (v: number): number => left + (v / xMax) * (width - left - right);
  const sy = (v: number): number => top + (1 - (v - yMin) / (yMax - yMin)) * (height - top - bottom);
  const body: string[] = [`<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="none" stroke="#ccc"/>`];
  for (let t = 0; t <= 4; t += 1) {
    const yv = yMin + ((yMax - yMin) * t) / 4;
    const xv = xStep * t;
    body.push(text(left - 6, sy(yv) + 4, yv.toFixed(2), 'text-anchor="end" fill="#555"'), text(sx(xv), height - bottom + 16, String(Math.round(xv)), 'text-anchor="middle" fill="#555"'));
  }
  body.push(text((left + width - right) / 2, height - 8, opts.xLabel, 'text-anchor="middle"'), text(14, (top + height - bottom) / 2, opts.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${n((top + height - bottom) / 2)})"`));
  // a small deterministic jitter keeps episodes with equal steps and reward apart
  points.forEach((p, i) => body.push(`<circle cx="${n(sx(p.x) + ((i % 5) - 2) * 2)}" cy="${n(sy(p.y))}" r="5" fill="${PALETTE[p.series % PALETTE.length]}" fill-opacity="0.7" stroke="#222" stroke-width="0.5"><title>${esc(p.title)}</title></circle>`));
  series.forEach((s, i) => body.push(`<circle cx="${width - right + 16}" cy="${top + 10 + i * 20}" r="5" fill="${PALETTE[i % PALETTE.length]}"/>`, text(width - right + 26, top + 14 + i * 20, s)));
  return svg(width, height, opts.label, body);
}
