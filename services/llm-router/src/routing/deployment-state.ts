import type { Deployment } from '../catalog/schema.ts'
import type { UpstreamClient } from '../upstreams/provider.ts'

/** Weight of a new TTFT sample in the moving average. */
const ewmaAlpha = 0.3

/** What the router tracks per deployment in this process: its client and live counters. */
export class DeploymentState {
  /** Replaced when a new catalog changes only routing settings (weight, timeouts, pricing). */
  deployment: Deployment
  readonly client: UpstreamClient
  /** Requests (streams included) on it right now. */
  inFlight = 0
  /** Smooth weighted round robin's running weight. */
  currentWeight = 0
  /** Moving average of time to first token, ms; undefined until a first sample. */
  ttftEwmaMs: number | undefined

  constructor(deployment: Deployment, client: UpstreamClient) {
    this.deployment = deployment
    this.client = client
  }

  observeTtft(ms: number): void {
    this.ttftEwmaMs =
      this.ttftEwmaMs === undefined ? ms : this.ttftEwmaMs + ewmaAlpha * (ms - this.ttftEwmaMs)
  }

  get saturated(): boolean {
    return this.inFlight >= this.deployment.maxConcurrency
  }
}
