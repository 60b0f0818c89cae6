import type { SolveCell } from './build.ts';

// Number formatting shared by the Markdown and HTML reports.

export function fixed(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
}

export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  const whole = (v * 100).toFixed(0);
  // 753/756 is not 100%, and 1/900 is not 0%: one decimal where rounding would say so
  return (whole === '100' && v < 1) || (whole === '0' && v > 0) ? `${(v * 100).toFixed(1)}%` : `${whole}%`;
}

/** "2/3 (67%)", "infra ×2" when nothing was scored: an infra error is never shown as a 0. */
export function solveText(c: SolveCell | undefined): string {
  if (!c) return '';
  const infra = c.infraErrors > 0 ? ` +${c.infraErrors} infra` : '';
  if (c.scored === 0) return `infra ×${c.infraErrors}`;
  return `${c.solved}/${c.scored} (${pct(c.rate)})${infra}`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
