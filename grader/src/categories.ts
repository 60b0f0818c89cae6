export const CATEGORIES = ['unit', 'integration', 'contract', 'chaos', 'security', 'performance', 'system', 'stress'] as const;

export type Category = (typeof CATEGORIES)[number];

/** docs/design.md, "Results and reward". */
export const CATEGORY_WEIGHTS: Record<Category, number> = Object.freeze({
  unit: 1.0,
  integration: 1.5,
  contract: 2.0,
  chaos: 3.0,
  security: 2.5,
  performance: 2.0,
  system: 3.0,
  stress: 1.0,
});

/**
 * Every weight is a multiple of 0.5, so twice the weight is an integer: the pass rate and its band
 * thresholds can then be compared exactly, in integers, with no float rounding at the boundaries.
 */
export const CATEGORY_HALF_WEIGHTS: Record<Category, number> = Object.freeze(
  Object.fromEntries(CATEGORIES.map((c) => [c, Math.round(CATEGORY_WEIGHTS[c] * 2)])) as Record<Category, number>,
);

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}
