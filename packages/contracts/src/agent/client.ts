import { Readable } from 'node:stream'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { Value } from 'typebox/value'
import { ErrorBody } from '../error-body.ts'
import { type CallOptions, callService, type ServiceAnswer, type ServiceEndpoint } from '../service-call.ts'
import { type AgentRunEvent, type AgentRunRequest, AgentRunView, AgentSummary } from './runs.ts'

/**
 * What other services ask agent, with the caller's token: agent scopes everything to its org, so
 * another org's agent or run answers 404 (`agentErrorCodes`). Starting, cancelling and approving
 * need the scopes `chat:write` and `llm:use`; reading `chat:read`.
 */
export interface AgentClient {
  /** `GET /v1/agents/{id or name}`. */
  getAgent(idOrName: string, options: CallOptions): Promise<ServiceAnswer<AgentSummary>>
  /** `POST /v1/agents/{id}/runs`: this agent, no routing. */
  runAgent(agentId: string, body: AgentRunRequest, options: CallOptions): Promise<ServiceAnswer<AgentRunView>>
  /** `POST /v1/runs`: the supervisor chooses the agent (the thread's, for a follow-up). */
  runSupervised(body: AgentRunRequest, options: CallOptions): Promise<ServiceAnswer<AgentRunView>>
  /** `GET /v1/runs/{id}`. */
  getRun(runId: string, options: CallOptions): Promise<ServiceAnswer<AgentRunView>>
  /** `POST /v1/runs/{id}/cancel`: stops the run wherever it runs; 409 when it already ended. */
  cancelRun(runId: string, options: CallOptions): Promise<ServiceAnswer<AgentRunView>>
  /**
   * `GET /v1/runs/{id}/events`: the run's events after `afterSeq` (0: all) as they come. The
   * iteration ends where agent ends the stream: after `done` or `error`, after an
   * `approval.required` nothing followed, or when the run stopped going anywhere. Leaving the
   * iteration early closes the request; the run goes on.
   */
  runEvents(
    runId: string,
    afterSeq: number,
    options: CallOptions,
  ): Promise<ServiceAnswer<AsyncIterable<AgentRunEvent>>>
}

const runPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}`

/** agent's client over the caller's dispatcher (`ctx.dispatcher`) and agent's origin. */
export function createAgentClient(endpoint: ServiceEndpoint): AgentClient {
  return {
    getAgent: (idOrName, options) =>
      callService(
        endpoint,
        { method: 'GET', path: `/v1/agents/${encodeURIComponent(idOrName)}` },
        AgentSummary,
        options,
      ),
    runAgent: (agentId, body, options) =>
      callService(
        endpoint,
        { method: 'POST', path: `/v1/agents/${encodeURIComponent(agentId)}/runs`, body },
        AgentRunView,
        options,
      ),
    runSupervised: (body, options) =>
      callService(endpoint, { method: 'POST', path: '/v1/runs', body }, AgentRunView, options),
    getRun: (runId, options) =>
      callService(endpoint, { method: 'GET', path: runPath(runId) }, AgentRunView, options),
    cancelRun: (runId, options) =>
      callService(endpoint, { method: 'POST', path: `${runPath(runId)}/cancel` }, AgentRunView, options),
    runEvents: (runId, afterSeq, options) => runEvents(endpoint, runId, afterSeq, options),
  }
}

async function runEvents(
  endpoint: ServiceEndpoint,
  runId: string,
  afterSeq: number,
  options: CallOptions,
): Promise<ServiceAnswer<AsyncIterable<AgentRunEvent>>> {
  const after = afterSeq > 0 ? `?after=${encodeURIComponent(`${runId}:${afterSeq}`)}` : ''
  const res = await endpoint.dispatcher.request({
    origin: endpoint.origin,
    path: `${runPath(runId)}/events${after}`,
    method: 'GET',
    headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
    signal: options.signal ?? null,
  })
  if (res.statusCode !== 200) {
    const body = parseJson(await res.body.text())
    return { ok: false, status: res.statusCode, error: Value.Check(ErrorBody, body) ? body.error : null }
  }
  const messages = (Readable.toWeb(res.body) as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
  async function* events(): AsyncGenerator<AgentRunEvent> {
    // Breaking out of this loop cancels the stream, which destroys the body and ends the request.
    for await (const message of messages) {
      const seq = Number(message.id?.slice(message.id.lastIndexOf(':') + 1))
      const data = parseJson(message.data)
      if (!Number.isInteger(seq) || typeof data !== 'object' || data === null) continue
      yield { seq, event: message.event ?? 'message', data: data as Record<string, unknown> }
    }
  }
  return { ok: true, status: 200, body: events() }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
