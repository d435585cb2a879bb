/**
 * "Did you mean …?" for misspelled keywords: the candidate with the smallest edit distance
 * (Levenshtein, plus a case-insensitive exact match as the best possible hit), if it is
 * close enough to be a plausible typo. Pure.
 */

/** Edit distance between a and b, giving up (returning limit + 1) once it must exceed limit. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] as number;
}

/** Largest distance still treated as a typo: about a third of the word, at least 1, at most 4. */
function threshold(word: string): number {
  return Math.max(1, Math.min(4, Math.floor(word.length / 3)));
}

/** Nearest candidate to `word`, or undefined when none is plausibly what was meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  if (word === '') return undefined;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDist = threshold(word) + 1;
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase(), bestDist - 1);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}
