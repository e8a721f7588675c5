// nDCG@k as trec_eval (ndcg_cut, and pytrec_eval, which BEIR uses) computes it: the gain of a
// document is its qrels grade (linear), the document at rank r (1-based) is discounted by
// log2(r + 1), the ideal ranking is every judged document sorted by grade, and the run is ordered
// by score, ties broken by document id, descending (trec_eval ignores the ranks a run states).

/** A query's judgments: document id -> grade (0 or below: not relevant). */
export type Judgments = ReadonlyMap<string, number>
/** A query's run: document id -> score (higher is better). */
export type Run = ReadonlyMap<string, number>

/** trec_eval's order of a run: score descending, then document id descending (strcmp). */
export function trecOrder(run: Run): string[] {
  return [...run.entries()]
    .sort(([a, sa], [b, sb]) => (sa !== sb ? sb - sa : a < b ? 1 : a > b ? -1 : 0))
    .map(([id]) => id)
}

/** nDCG@k of one query; 0 when no judged document is relevant (trec_eval's ideal of 0). */
export function ndcgAt(k: number, run: Run, judgments: Judgments): number {
  const discount = (i: number) => Math.log2(i + 2)
  let dcg = 0
  for (const [i, id] of trecOrder(run).slice(0, k).entries()) {
    const gain = judgments.get(id) ?? 0
    if (gain > 0) dcg += gain / discount(i)
  }
  const ideal = [...judgments.values()]
    .filter((gain) => gain > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, gain, i) => sum + gain / discount(i), 0)
  return ideal > 0 ? dcg / ideal : 0
}

export interface MeanNdcg {
  mean: number
  /** Queries averaged over: those with judgments. */
  queries: number
  /** Of them, queries the run retrieved nothing for (counted as 0, as trec_eval -c does). */
  empty: number
}

/**
 * Mean nDCG@k over the queries that have judgments (trec_eval ignores a query without any); a
 * judged query the run has nothing for counts 0 (trec_eval's -c: a system that retrieves nothing
 * is not let off).
 */
export function meanNdcgAt(
  k: number,
  runs: ReadonlyMap<string, Run>,
  qrels: ReadonlyMap<string, Judgments>,
): MeanNdcg {
  let sum = 0
  let empty = 0
  for (const [query, judgments] of qrels) {
    const run = runs.get(query)
    if (run === undefined || run.size === 0) empty++
    else sum += ndcgAt(k, run, judgments)
  }
  return { mean: qrels.size === 0 ? Number.NaN : sum / qrels.size, queries: qrels.size, empty }
}
