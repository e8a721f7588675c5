// The metric names Switchyard's processes export, found by running the code that defines them on
// one registry (the way the runtime does), not by listing names by hand: a metric renamed in the
// code drops out of this set and the dashboards and alerts that still name it fail their test.
import { createInProcessBus } from '@switchyard/events'
import { createInternalTokenVerifier, createServer, generateInternalKeyPair } from '@switchyard/kit'
import { ModelRouter, providers, registerCooldownMetric } from '@switchyard/llm-router'
import { createMemoryState } from '@switchyard/state'
import { createLlmMetrics, createMetricsRegistry } from '@switchyard/telemetry'
import { pino } from 'pino'

/**
 * Names that other programs export, which the dashboards and alerts may use, each with its source.
 * Everything else they name must come from Switchyard's code or the alert rules' own recordings.
 */
export const externalMetrics: Record<string, string> = {
  up: 'Prometheus, per scrape target',
  'vllm:num_requests_waiting': "vLLM's /metrics (the queue KEDA scales the vLLM pools on)",
  kafka_consumergroup_lag: "a Kafka exporter: Strimzi's kafkaExporter or kafka_exporter",
  kafka_topic_partition_current_offset: "a Kafka exporter: Strimzi's kafkaExporter or kafka_exporter",
  kafka_topic_partition_oldest_offset: "a Kafka exporter: Strimzi's kafkaExporter or kafka_exporter",
}

/** Series names a metric of each type exposes, beside its own name. */
const suffixes: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  counter: [''],
  gauge: [''],
}

/**
 * Every series name a Switchyard process can expose: the process and Node.js defaults, the kit's
 * HTTP histogram, the event bus's counters, the router's LLM metrics and its cooldown gauge.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const logger = pino({ level: 'silent' })
  const registry = createMetricsRegistry()
  const server = await createServer({
    name: 'switchyard',
    logger,
    metrics: registry,
    identity: createInternalTokenVerifier({ publicKey: generateInternalKeyPair().publicKey }),
  })
  const bus = createInProcessBus({ logger, registry })
  const state = createMemoryState()
  const router = new ModelRouter({ providers, state, logger })
  try {
    createLlmMetrics(registry, { orgAllowList: [] })
    registerCooldownMetric(registry, router)
    const names = new Set<string>()
    for (const metric of await registry.getMetricsAsJSON())
      for (const suffix of suffixes[metric.type] ?? ['']) names.add(metric.name + suffix)
    return names
  } finally {
    await router.close()
    await bus.close()
    await server.close()
    await state.close()
  }
}
