import type { Identity } from '@switchyard/contracts'
import { isServiceError } from '@switchyard/kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { llmRouterErrors } from '../errors.ts'
import type { AliasState } from '../routing/router.ts'
import type { Admission, AdmissionRequest } from './admission.ts'
import { LlmRequest, type PipelineDeps } from './request.ts'
import { ClientGone } from './timeouts.ts'

export const deploymentHeader = 'x-switchyard-deployment'
export const attemptsHeader = 'x-switchyard-attempts'

/**
 * Starts the record of an LLM request for an alias the router knows (404 otherwise) and ties its
 * end to the response's: `close` on the raw response fires once the last byte is out, or when
 * the client cut the connection first (then the upstream call is aborted).
 */
export function beginRequest(
  deps: PipelineDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  init: { alias: string; operation: 'chat' | 'embeddings'; stream: boolean },
): { llm: LlmRequest; aliasState: AliasState } {
  const aliasState = deps.router.alias(init.alias)
  if (aliasState === undefined) {
    const error = new llmRouterErrors.ModelNotFound(init.alias)
    error.param = 'model'
    throw error
  }
  const identity: Identity = request.identity
  const llm = new LlmRequest({ requestId: request.id, identity, ...init })
  const raw = reply.raw
  // 'close' fires once per response: `on` spares the wrapper `once` makes.
  raw.on('close', () => {
    if (!raw.writableFinished) llm.clientGone()
    llm.end(deps, reply.elapsedTime)
  })
  return { llm, aliasState }
}

/**
 * Runs admission; a refusal ends the request as an error with the limiter's code. Answers a
 * promise only when admission has to wait (a Redis round trip): await it when there is one.
 */
export function admit(
  admission: Admission,
  llm: LlmRequest,
  request: Omit<AdmissionRequest, 'identity' | 'alias' | 'operation'>,
): Promise<void> | undefined {
  const ticket = admission.admit({
    identity: llm.identity,
    alias: llm.alias,
    operation: llm.operation,
    ...request,
  })
  if (ticket instanceof Promise)
    return ticket.then((admitted) => {
      llm.ticket = admitted
    })
  llm.ticket = ticket
  return undefined
}

/** Records how the request failed and adds the attempts header; returns what to throw. */
export function failed(llm: LlmRequest, error: unknown): unknown {
  if (error instanceof ClientGone) {
    llm.status ??= 'cancelled'
    llm.errorCode = 'LLM_ROUTER_ERR_CLIENT_CLOSED'
    return error
  }
  const code = isServiceError(error) ? error.code : 'LLM_ROUTER_ERR_INTERNAL'
  llm.fail(code)
  if (isServiceError(error) && llm.attempts > 0) {
    error.headers = { ...error.headers, [attemptsHeader]: String(llm.attempts) }
    if (llm.deployment !== undefined) error.headers[deploymentHeader] = llm.deployment.deployment.id
  }
  return error
}

/** Sends a non-streamed answer with the headers that say who served it and in how many attempts. */
export function sendAnswer(reply: FastifyReply, llm: LlmRequest, deploymentId: string, body: unknown) {
  return reply
    .header(deploymentHeader, deploymentId)
    .header(attemptsHeader, String(llm.attempts))
    .type('application/json; charset=utf-8')
    .send(body)
}

/**
 * Ends a failed non-streamed request: a client that left gets nothing (the reply is hijacked so
 * Fastify writes no error to a closed socket); any other failure is recorded and rethrown for the
 * error handler.
 */
export function answerFailure(reply: FastifyReply, llm: LlmRequest, error: unknown): FastifyReply {
  if (error instanceof ClientGone) {
    failed(llm, error)
    reply.hijack()
    return reply
  }
  throw failed(llm, error)
}
