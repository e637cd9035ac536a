/**
 * Randomness, injected (convention 14). Query IDs come from a CSPRNG (RFC 5452 9.2: "unpredictable 16-bit ID"),
 * so the default is `crypto.randomInt`; tests may pass a scripted sequence.
 */
import { randomInt } from 'node:crypto';

export interface Random {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export const cryptoRandom: Random = {
  int: (maxExclusive) => randomInt(maxExclusive),
};

/** A Random that replays `values` (modulo the bound) in a loop; for tests that need predictable IDs. */
export function scriptedRandom(values: readonly number[]): Random {
  if (values.length === 0) throw new RangeError('scriptedRandom needs at least one value');
  let i = 0;
  return {
    int: (maxExclusive) => {
      const v = values[i % values.length];
      i++;
      return ((v % maxExclusive) + maxExclusive) % maxExclusive;
    },
  };
}
