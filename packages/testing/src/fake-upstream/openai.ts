// A fake OpenAI-compatible upstream (what vLLM and managed APIs serve): chat completions,
// streaming as SSE, embeddings, models.
import type { OutgoingHttpHeaders } from 'node:http'
import {
  type Answer,
  argumentFragments,
  contentChunks,
  positiveInt,
  produceAnswer,
  toolSpecs,
} from './answer.ts'
import type { FakeBehavior } from './behavior.ts'
import {
  type ErrorWriter,
  type Exchange,
  type Frame,
  JSON_TYPE,
  prelude,
  type Routes,
  sendBody,
  sendGenerated,
  sendStream,
  startServer,
} from './server.ts'
import { chatInput, countPromptTokens, countTokens, embeddingToBase64, fakeEmbedding } from './text.ts'
import {
  type ApiContext,
  apiContext,
  asObject,
  behaviorFor,
  DEFAULT_MODELS,
  type FakeUpstream,
  type FakeUpstreamOptions,
  knowsModel,
  upstreamHandle,
} from './upstream.ts'

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'requests',
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export const writeOpenAIError: ErrorWriter = (ex, status, message, code, param, headers) => {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
  sendBody(ex, status, JSON_TYPE, JSON.stringify({ error: { message, type, param, code } }), headers)
}

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
}

/** The OpenAI routes (`/v1/...`), also mounted by the fake Ollama as real Ollama does. */
export function openaiRoutes(ctx: ApiContext): Routes {
  const created = Math.floor(Date.now() / 1000)
  // Constant for the server's life: serialised once.
  const modelsBody = JSON.stringify({
    object: 'list',
    data: ctx.models.map((id) => ({ id, object: 'model', created, owned_by: 'switchyard-fake' })),
  })
  return new Map([
    ['POST /v1/chat/completions', (ex: Exchange) => chatCompletions(ex, ctx)],
    ['POST /v1/embeddings', (ex: Exchange) => embeddings(ex, ctx)],
    ['GET /v1/models', (ex: Exchange) => sendBody(ex, 200, JSON_TYPE, modelsBody)],
  ])
}

/** Answers a model-addressed request's common checks; undefined when it has already answered. */
function checkModel(
  ex: Exchange,
  ctx: ApiContext,
): { body: Record<string, unknown>; model: string } | undefined {
  const body = asObject(ex.body)
  if (!body) {
    writeOpenAIError(ex, 400, 'We could not parse the JSON body of your request.', 'invalid_json', null)
    return undefined
  }
  const model = body.model
  if (typeof model !== 'string' || model === '') {
    writeOpenAIError(ex, 400, 'you must provide a model parameter', 'missing_required_parameter', 'model')
    return undefined
  }
  if (ctx.strictModels && !knowsModel(ctx, model)) {
    writeOpenAIError(
      ex,
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'model_not_found',
      'model',
    )
    return undefined
  }
  return { body, model }
}

function toolChoiceOf(raw: unknown): string {
  if (typeof raw === 'string') return raw
  const name = (raw as { function?: { name?: unknown } } | null)?.function?.name
  return typeof name === 'string' ? name : 'auto'
}

async function chatCompletions(ex: Exchange, ctx: ApiContext): Promise<void> {
  const checked = checkModel(ex, ctx)
  if (!checked) return
  const { body, model } = checked
  const b = behaviorFor(ex, ctx, model, writeOpenAIError)
  if (!b) return
  const input = chatInput(model, body.messages)
  const promptTokens = countPromptTokens(input.messages)
  if (!(await prelude(ex, b, promptTokens, model, writeOpenAIError))) return

  const format = asObject(body.response_format)
  const answer = produceAnswer(b, {
    input,
    tools: toolSpecs(body.tools),
    toolChoice: toolChoiceOf(body.tool_choice),
    json: format?.type === 'json_object',
    schema: format?.type === 'json_schema' ? (asObject(format.json_schema)?.schema ?? {}) : undefined,
    maxTokens: positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens),
  })
  const usage =
    b.reportUsage === false
      ? undefined
      : {
          prompt_tokens: promptTokens,
          completion_tokens: answer.completionTokens,
          total_tokens: promptTokens + answer.completionTokens,
        }
  const n = ctx.nextId()
  const id = `chatcmpl-fake${n}`
  const created = Math.floor(Date.now() / 1000)
  const toolCalls = answer.toolCalls.map((c, i) => ({
    id: `call_fake${n}_${i}`,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }))

  if (body.stream === true) {
    const includeUsage = asObject(body.stream_options)?.include_usage === true
    await sendStream(
      ex,
      b,
      SSE_HEADERS,
      chatFrames(id, created, model, answer, toolCalls, b, includeUsage, usage),
    )
    return
  }
  await sendGenerated(ex, b, JSON_TYPE, answer.completionTokens, () =>
    JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: toolCalls.length > 0 ? null : answer.content,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: answer.finishReason,
        },
      ],
      ...(usage ? { usage } : {}),
    }),
  )
}

/**
 * The SSE events of a streamed completion, as OpenAI sends them: a role chunk, content chunks (or,
 * per tool call, a chunk with index/id/name then argument fragments), a chunk with finish_reason,
 * with `include_usage` a final chunk with empty choices and the usage (`"usage": null` on the
 * others), then `[DONE]`.
 */
function chatFrames(
  id: string,
  created: number,
  model: string,
  answer: Answer,
  toolCalls: { id: string; function: { name: string; arguments: string } }[],
  b: FakeBehavior,
  includeUsage: boolean,
  usage: object | undefined,
): Frame[] {
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_fake","choices":`
  const tail = includeUsage ? ',"usage":null}\n\n' : '}\n\n'
  const choice = (delta: object, finish: string | null): string =>
    `${head}[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish ? `"${finish}"` : 'null'}}]${tail}`

  const frames: Frame[] = []
  if (toolCalls.length > 0) {
    frames.push({ data: choice({ role: 'assistant', content: null }, null), tokens: 0 })
    toolCalls.forEach((call, index) => {
      const { name, arguments: args } = call.function
      const opening = { index, id: call.id, type: 'function', function: { name, arguments: '' } }
      frames.push({ data: choice({ tool_calls: [opening] }, null), tokens: 1 })
      for (const fragment of argumentFragments(args)) {
        frames.push({
          data: choice({ tool_calls: [{ index, function: { arguments: fragment } }] }, null),
          tokens: 1,
        })
      }
    })
  } else {
    frames.push({ data: choice({ role: 'assistant', content: '', refusal: null }, null), tokens: 0 })
    for (const c of contentChunks(answer.content, b.chunks)) {
      frames.push({ data: choice({ content: c.text }, null), tokens: c.tokens })
    }
  }
  frames.push({ data: choice({}, answer.finishReason), tokens: 0 })
  if (includeUsage && usage) {
    frames.push({ data: `${head}[],"usage":${JSON.stringify(usage)}}\n\n`, tokens: 0 })
  }
  frames.push({ data: 'data: [DONE]\n\n', tokens: 0 })
  return frames
}

/** Input texts of an embeddings request: a string, strings, token ids, or lists of token ids. */
function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input]
  if (!Array.isArray(input) || input.length === 0) return undefined
  if (input.every((x) => typeof x === 'number')) return [input.join(' ')]
  const texts: string[] = []
  for (const x of input) {
    if (typeof x === 'string') texts.push(x)
    else if (Array.isArray(x)) texts.push(x.join(' '))
    else return undefined
  }
  return texts
}

async function embeddings(ex: Exchange, ctx: ApiContext): Promise<void> {
  const checked = checkModel(ex, ctx)
  if (!checked) return
  const { body, model } = checked
  const texts = embeddingInputs(body.input)
  if (!texts) {
    writeOpenAIError(ex, 400, "'input' must be a non-empty string or array", 'invalid_value', 'input')
    return
  }
  const b = behaviorFor(ex, ctx, model, writeOpenAIError)
  if (!b) return
  let tokens = 0
  for (const t of texts) tokens += countTokens(t)
  if (!(await prelude(ex, b, tokens, model, writeOpenAIError))) return
  const dimensions = positiveInt(body.dimensions) ?? ctx.dimensions
  const base64 = body.encoding_format === 'base64'
  await sendGenerated(ex, b, JSON_TYPE, 0, () =>
    JSON.stringify({
      object: 'list',
      data: texts.map((t, index) => {
        const v = fakeEmbedding(t, dimensions)
        return { object: 'embedding', index, embedding: base64 ? embeddingToBase64(v) : v }
      }),
      model,
      ...(b.reportUsage === false ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }),
    }),
  )
}

/** 404 in OpenAI's shape for any route the fake does not serve. */
export function openaiNotFound(ex: Exchange): void {
  writeOpenAIError(
    ex,
    404,
    `Unknown request URL: ${ex.record.method} ${ex.record.path}. Please check the URL for typos.`,
    'unknown_url',
    null,
  )
}

/**
 * Starts a fake OpenAI-compatible server on 127.0.0.1 (a free port unless `options.port`):
 * `POST /v1/chat/completions` (JSON or SSE), `POST /v1/embeddings`, `GET /v1/models`.
 */
export async function startFakeOpenAI(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const ctx = apiContext(options, options.models ?? DEFAULT_MODELS)
  const core = await startServer(openaiRoutes(ctx), openaiNotFound, options)
  return upstreamHandle(core, ctx, `${core.origin}/v1`)
}
