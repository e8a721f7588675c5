// pnpm bench:agent: the agent supervisor's routing on a labelled utterance set (default CLINC150's
// 10 domains as 10 specialists), with the router's local embedding and instruct models, and the
// agent loop's own cost per turn against calling the router directly. The last line:
//   agent routing_accuracy=<a> embedding_only_share=<s> classify_p50_ms=<c> loop_added_ms_per_turn=<l>
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readSplit, shuffled, specialists } from './dataset.ts'
import { type LoopCostResult, measureLoopCost } from './loop.ts'
import { localModels, startLocalRouter } from './router.ts'
import { type RoutingResult, runRouting } from './routing.ts'

const defaultDataset = fileURLToPath(
  new URL('../../../../shared/data/intents/clinc150-domains', import.meta.url),
)
const { values: flags } = parseArgs({
  options: {
    dataset: { type: 'string' },
    limit: { type: 'string', default: '300' },
    examples: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    trace: { type: 'boolean', default: false },
    'skip-routing': { type: 'boolean', default: false },
    'skip-loop': { type: 'boolean', default: false },
    'loop-only': { type: 'boolean', default: false },
    'loop-runs': { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`pnpm bench:agent [options]
  --dataset DIR     train.jsonl and test.jsonl, one {"text","label"} a line; each label a specialist
                    (default ../shared/data/intents/clinc150-domains beside the repository)
  --limit N         test utterances routed, a seeded random sample (default 300; 0: all)
  --examples N      stage-1 examples per specialist, spread through its train lines (default 60)
  --seed N          the sample's seed (default 1)
  --trace           log every route stage 1 did not decide alone, with its reason
  --skip-routing, --skip-loop   run one half only (its numbers print as NaN)
  --loop-only       the loop's cost alone (as --skip-routing): seconds, no model files needed
  --loop-runs N     agent runs measured for the loop's cost, as many direct calls (default 300)
Models: LLM_ROUTER_LOCAL_MODEL (default SmolLM2-135M-Instruct, bash scripts/fetch-model.sh smollm2)
and LLM_ROUTER_LOCAL_EMBEDDING_MODEL (default all-MiniLM-L6-v2, fetch-model.sh minilm).
`)
  process.exit(0)
}
const int = (value: string | undefined, min: number) => {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`bench:agent: ${value} is not an integer >= ${min}\n`)
    process.exit(2)
  }
  return n
}
const skipRouting = flags['skip-routing'] || flags['loop-only']
const datasetDir = flags.dataset ?? defaultDataset
if (!skipRouting && !existsSync(datasetDir)) {
  process.stderr.write(`bench:agent: no dataset at ${datasetDir}; name one with --dataset DIR\n`)
  process.exit(2)
}
const limit = int(flags.limit, 0)
const perLabel = int(flags.examples, 1)
const seed = int(flags.seed, 0)
const loopRuns = int(flags['loop-runs'], 1)

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()
const out: string[] = []
const f3 = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : 'NaN')
const pct = (part: number, whole: number) =>
  `${part}/${whole} (${whole === 0 ? 'NaN' : ((100 * part) / whole).toFixed(1)}%)`

let routing: RoutingResult | undefined
if (!skipRouting) {
  const [train, test] = await Promise.all([readSplit(datasetDir, 'train'), readSplit(datasetDir, 'test')])
  const team = specialists(train, perLabel)
  const sample = shuffled(test, seed).slice(0, limit === 0 ? test.length : limit)
  log(
    `dataset ${datasetDir}: ${team.length} specialists, ${perLabel} train examples each; ${sample.length} of ${test.length} test utterances (seed ${seed})`,
  )
  const models = localModels()
  const router = await startLocalRouter(models)
  try {
    routing = await runRouting({ router, specialists: team, sample, log, trace: flags.trace })
  } finally {
    await router.close()
  }
  const r = routing
  const c = r.config
  out.push(
    `routing: ${r.total} test utterances, ${team.length} specialists (${r.textsEmbedded} description and example texts embedded once, ${(r.indexMs / 1000).toFixed(1)} s)`,
    `models: ${models.embedding} (stage 1), ${models.chat} (classifier), in the router's local provider`,
    `thresholds (the service's defaults): score >= ${c.AGENT_SUPERVISOR_MIN_SCORE}, margin >= ${c.AGENT_SUPERVISOR_MIN_MARGIN}, top-k ${c.AGENT_SUPERVISOR_TOP_K}, ${c.AGENT_SUPERVISOR_CANDIDATES} candidates, overrule at confidence >= ${c.AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE}, clarify below score ${c.AGENT_SUPERVISOR_CLARIFY_SCORE}`,
    `accuracy ${pct(r.correct, r.total)}`,
    ...Object.entries(r.byStage).map(
      ([stage, t]) =>
        `  stage ${stage.padEnd(10)} decided ${pct(t.routed, r.total)}, right ${pct(t.correct, t.routed)}`,
    ),
    `stage 1's best alone on every utterance: right ${pct(r.embeddingTop1Correct, r.total)}`,
    `where the classifier decided: it was right ${pct(r.classifierCorrect, r.classifierDecided)}, stage 1's best would have been ${pct(r.embeddingTop1OnClassified, r.classifierDecided)}`,
    `route latency ms: p50 ${r.route.p50.toFixed(1)} p90 ${r.route.p90.toFixed(1)} p99 ${r.route.p99.toFixed(1)}; classifier call ms (n=${r.classify.count}): p50 ${r.classify.p50.toFixed(1)} p90 ${r.classify.p90.toFixed(1)}`,
    '',
  )
}

let loop: LoopCostResult | undefined
if (!flags['skip-loop']) {
  loop = await measureLoopCost({ runs: loopRuns, warmup: Math.min(50, loopRuns), log })
  out.push(
    `loop: ${loop.runs} runs of ${loop.turnsPerRun} turns (a forced tool call, then the answer), fake upstream, one process`,
    `  run p50 ${loop.runP50Ms.toFixed(2)} ms; the same requests straight to the router p50 ${loop.directP50Ms.toFixed(2)} ms`,
    `  the loop adds ${loop.addedMsPerTurn.toFixed(3)} ms per turn`,
    '',
  )
}
const loopAdded = loop?.addedMsPerTurn ?? Number.NaN
out.push(
  `took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  '',
  [
    'agent',
    `routing_accuracy=${routing === undefined ? 'NaN' : f3(routing.correct / routing.total)}`,
    `embedding_only_share=${routing === undefined ? 'NaN' : f3((routing.byStage.embedding?.routed ?? 0) / routing.total)}`,
    `classify_p50_ms=${routing === undefined ? 'NaN' : routing.classify.p50.toFixed(1)}`,
    `loop_added_ms_per_turn=${Number.isFinite(loopAdded) ? loopAdded.toFixed(3) : 'NaN'}`,
  ].join(' '),
)
process.stdout.write(`${out.join('\n')}\n`)
