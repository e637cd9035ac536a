import type { Name } from '../wire/index.js';
import { LIMITS } from './limits.js';

/**
 * QNAME minimisation schedule (RFC 9156 2.3). Given the number of labels of the
 * closest known zone cut and of the full QNAME, and how many minimised queries were
 * already sent for this name, returns how many labels the next query exposes.
 *
 * The first MINIMISE_ONE_LAB iterations add one label each; the remaining labels are
 * spread over the remaining MAX_MINIMISE_COUNT - MINIMISE_ONE_LAB iterations, the
 * remainder going to the last ones (18 labels => 1,1,1,1,2,2,2,2,3,3). Underscore
 * labels (`_853._tcp`) are exposed together with the label they qualify.
 */
export function nextLabelCount(cutLabels: number, qnameLabels: number, iteration: number): number {
  const remaining = qnameLabels - cutLabels;
  if (remaining <= 1) return qnameLabels;
  if (iteration >= LIMITS.MAX_MINIMISE_COUNT - 1) return qnameLabels;
  if (iteration < LIMITS.MINIMISE_ONE_LAB) return cutLabels + 1;
  const itersLeft = LIMITS.MAX_MINIMISE_COUNT - iteration;
  const step = Math.floor(remaining / itersLeft);
  const extra = remaining % itersLeft;
  // spread: the last `extra` iterations take one more label
  const add = step + (itersLeft - 1 < extra ? 1 : 0);
  return Math.min(qnameLabels, cutLabels + Math.max(1, add));
}

/** The minimised name to ask about next, skipping past underscore labels so they are never queried alone. */
export function minimisedName(qname: Name, cutLabels: number, iteration: number): Name {
  const total = qname.labelCount;
  let n = nextLabelCount(cutLabels, total, iteration);
  // expose an underscore label only together with the label to its left (RFC 9156 2.3 optional rule)
  while (n < total && qname.label(total - n).startsWith('_')) n++;
  return qname.suffix(n);
}
