export {
  type CounterSeries,
  type HistogramSeries,
  KeyedCounter,
  KeyedHistogram,
  type KeyedMetricOptions,
} from './keyed-metrics.ts'
export {
  createLlmMetrics,
  type LlmLabels,
  type LlmMetrics,
  type LlmMetricsOptions,
  type LlmRequestResult,
  llmMetricNames,
} from './llm-metrics.ts'
export { createLogger, type LoggerOptions, redactPaths } from './logger.ts'
export { createMetricsRegistry, type MetricsRegistryOptions } from './metrics-registry.ts'
export {
  enabledInstrumentations,
  startTelemetry,
  type TelemetryHandle,
  type TelemetryOptions,
} from './telemetry.ts'
