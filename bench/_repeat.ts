/**
 * How the bench repeats its measurements: every subject once per round,
 * round-robin, so that drift on the machine touches all of them alike; and
 * when a run disturbed by other work on the machine is redone.
 *
 * @module
 */

/** Other work on the machine above this (cores) during a run makes the run be redone. */
export const FOREIGN_LIMIT = 0.15;
/** How often a disturbed run is redone at most; the least disturbed one is kept. */
export const RETRIES = 2;

/**
 * Measures every subject `rounds` times, round-robin. A subject whose first
 * run says it never started (`notStarted` returns the run to record instead)
 * is not tried again.
 */
export async function roundRobin<S extends { key: string }, R>(
  subjects: readonly S[],
  rounds: number,
  measure: (subject: S, round: number) => Promise<R>,
  notStarted: (first: R) => R | undefined,
): Promise<Map<string, R[]>> {
  const results = new Map<string, R[]>(subjects.map((x) => [x.key, []]));
  for (let round = 0; round < rounds; round++) {
    for (const subject of subjects) {
      const runs = results.get(subject.key) ?? [];
      const first = runs[0];
      const instead = round > 0 && first !== undefined
        ? notStarted(first)
        : undefined;
      runs.push(instead ?? await measure(subject, round));
    }
  }
  return results;
}
