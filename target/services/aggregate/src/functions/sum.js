'use strict';

// The running sum of a window. Floating-point addition loses the low bits of each term that do
// not fit the running total (10 × 0.1 is not 1 when added naively), so the sum carries a
// compensation term `c` next to it (Neumaier's variant of Kahan summation): the result is
// `sum + c`, exact to the last bit for the sums a rollup sees.

/** `{ sum, c }` after adding `value`. */
function addToSum(state, value) {
  const t = state.sum + value;
  // What the addition rounded away, taken from the larger operand's side.
  const lost = Math.abs(state.sum) >= Math.abs(value) ? (state.sum + value) - t : (value + state.sum) - t;
  return { sum: t, c: state.c + lost };
}

/** Two partial sums combined (session windows that merge). */
function mergeSums(a, b) {
  const first = addToSum(a, b.sum);
  return addToSum(first, b.c);
}

/** The value a window reports. */
function sumOf(state) {
  return state.sum + state.c;
}

module.exports = { addToSum, mergeSums, sumOf };
