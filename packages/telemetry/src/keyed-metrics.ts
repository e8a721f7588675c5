// Counters and histograms for hot paths. prom-client's own validate the label object, hash it and
// look the series up on every inc/observe; on a route that answers in a fraction of a millisecond
// that was a few percent of its CPU. Here a caller asks once for the series of some label values
// and keeps it: counting is then a field update. The registry reads them as it reads prom-client's
// (they implement the same `get()`), so /metrics shows no difference.
import type { MetricObjectWithValues, MetricValue, MetricValueWithName, Registry } from 'prom-client'

export interface KeyedMetricOptions<L extends string> {
  name: string
  help: string
  labelNames: readonly L[]
  registers: Registry[]
}

export interface CounterSeries {
  inc(by?: number): void
}

export interface HistogramSeries {
  observe(value: number): void
}

/** One series per distinct label values, made on first use and kept. */
abstract class KeyedMetric<L extends string, S extends SeriesState> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  readonly aggregator = 'sum'
  protected readonly series = new Map<string, { labels: Record<L, string>; state: S }>()

  constructor(options: KeyedMetricOptions<L>) {
    this.name = options.name
    this.help = options.help
    this.labelNames = options.labelNames
    // Registered as prom-client registers its own metrics: the registry only calls get() and reset().
    for (const registry of options.registers) registry.registerMetric(this as never)
  }

  protected seriesFor(values: readonly string[], create: () => S): S {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000')
    let entry = this.series.get(key)
    if (entry === undefined) {
      if (values.length !== this.labelNames.length)
        throw new TypeError(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`)
      const labels = {} as Record<L, string>
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] as string
      })
      entry = { labels, state: create() }
      this.series.set(key, entry)
    }
    return entry.state
  }

  /**
   * Zeroes every series and hides it until it counts again. The series stay: callers hold them,
   * and a series dropped here would go on counting where /metrics never looks.
   */
  reset(): void {
    for (const { state } of this.series.values()) state.clear()
  }

  /** What prom-client's get() answers, which the registry formats. */
  protected object<V>(values: V[]): MetricObjectWithValues<V & MetricValue<string>> {
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      aggregator: this.aggregator,
      values,
    } as unknown as MetricObjectWithValues<V & MetricValue<string>>
  }

  abstract readonly type: 'counter' | 'histogram'
}

/** A series' numbers. Untouched (never counted, or not since a reset) it is left out of /metrics, as prom-client leaves out a label set it has not seen. */
interface SeriesState {
  touched: boolean
  clear(): void
}

class CounterState implements CounterSeries, SeriesState {
  value = 0
  touched = false
  inc(by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by))
      throw new TypeError(`a counter only goes up by a finite amount, got ${by}`)
    this.value += by
    this.touched = true
  }
  clear(): void {
    this.value = 0
    this.touched = false
  }
}

export class KeyedCounter<L extends string> extends KeyedMetric<L, CounterState> {
  readonly type = 'counter'

  /** The series of these label values, in `labelNames` order. */
  labels(...values: string[]): CounterSeries {
    return this.seriesFor(values, () => new CounterState())
  }

  get(): MetricObjectWithValues<MetricValue<L>> {
    const values: MetricValue<L>[] = []
    for (const { labels, state } of this.series.values())
      if (state.touched) values.push({ labels: { ...labels }, value: state.value })
    return this.object(values)
  }
}

class HistogramState implements HistogramSeries, SeriesState {
  readonly #bounds: readonly number[]
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array
  sum = 0
  count = 0
  touched = false

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`a histogram observes finite values, got ${value}`)
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += value
    this.count++
    this.touched = true
  }

  clear(): void {
    this.counts.fill(0)
    this.sum = 0
    this.count = 0
    this.touched = false
  }
}

export class KeyedHistogram<L extends string> extends KeyedMetric<L, HistogramState> {
  readonly type = 'histogram'
  readonly #buckets: readonly number[]

  constructor(options: KeyedMetricOptions<L> & { buckets: readonly number[] }) {
    super(options)
    this.#buckets = [...options.buckets].sort((a, b) => a - b)
  }

  /** The series of these label values, in `labelNames` order. */
  labels(...values: string[]): HistogramSeries {
    return this.seriesFor(values, () => new HistogramState(this.#buckets))
  }

  get(): MetricObjectWithValues<MetricValueWithName<string>> {
    const values: MetricValueWithName<string>[] = []
    for (const { labels, state } of this.series.values()) {
      if (!state.touched) continue
      let cumulative = 0
      this.#buckets.forEach((bound, i) => {
        cumulative += state.counts[i] as number
        values.push({
          labels: { le: bound, ...labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        })
      })
      values.push({
        labels: { le: '+Inf', ...labels },
        value: state.count,
        metricName: `${this.name}_bucket`,
      })
      values.push({ labels: { ...labels }, value: state.sum, metricName: `${this.name}_sum` })
      values.push({ labels: { ...labels }, value: state.count, metricName: `${this.name}_count` })
    }
    return this.object(values)
  }
}
