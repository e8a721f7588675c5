// A fake Ollama: the native API (/api/chat, /api/generate, /api/embed, /api/tags, /api/version),
// NDJSON streaming by default, plus the OpenAI-compatible /v1 routes real Ollama also serves.
import { createHash } from 'node:crypto'
import { type Answer, contentChunks, positiveInt, produceAnswer, toolSpecs } from './answer.ts'
import type { FakeBehavior } from './behavior.ts'
import { openaiNotFound, openaiRoutes } from './openai.ts'
import {
  type ErrorWriter,
  type Exchange,
  type Frame,
  JSON_TYPE,
  prelude,
  sendBody,
  sendGenerated,
  sendStream,
  startServer,
} from './server.ts'
import {
  chatInput,
  countPromptTokens,
  countTokens,
  type FakeChatInput,
  fakeEmbedding,
  splitTokens,
} from './text.ts'
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

export interface FakeOllamaOptions extends FakeUpstreamOptions {
  /** What `GET /api/version` reports. Default '0.12.6'. */
  version?: string
}

export interface FakeOllama extends FakeUpstream {
  /** The OpenAI-compatible base, `http://127.0.0.1:PORT/v1`. */
  openaiUrl: string
}

/** Ollama's error body: `{ error: message }`. */
export const writeOllamaError: ErrorWriter = (ex, status, message, _code, _param, headers) => {
  sendBody(ex, status, JSON_TYPE, JSON.stringify({ error: message }), headers)
}

const NDJSON_HEADERS = { 'content-type': 'application/x-ndjson' }

function checkModel(
  ex: Exchange,
  ctx: ApiContext,
): { body: Record<string, unknown>; model: string } | undefined {
  const body = asObject(ex.body)
  if (!body) {
    writeOllamaError(ex, 400, 'invalid request body', null, null)
    return undefined
  }
  const model = body.model
  if (typeof model !== 'string' || model === '') {
    writeOllamaError(ex, 400, 'model is required', null, null)
    return undefined
  }
  if (ctx.strictModels && !knowsModel(ctx, model)) {
    writeOllamaError(ex, 404, `model "${model}" not found, try pulling it first`, null, null)
    return undefined
  }
  return { body, model }
}

/** Durations (ns) and counts of Ollama's final object, measured when it is sent. */
function finalStats(ex: Exchange, b: FakeBehavior, promptTokens: number, evalTokens: number): object {
  const total = Math.round((performance.now() - ex.startedAt) * 1e6)
  const promptEval = Math.min(total, Math.round(((b.latencyMs ?? 0) + (b.ttftMs ?? 0)) * 1e6))
  const stats = {
    total_duration: total,
    load_duration: 0,
    prompt_eval_duration: promptEval,
    eval_duration: Math.max(1, total - promptEval),
  }
  return b.reportUsage === false
    ? stats
    : { ...stats, prompt_eval_count: promptTokens, eval_count: evalTokens }
}

/** What `/api/chat` and `/api/generate` share once the request is parsed. */
interface Generation {
  body: Record<string, unknown>
  model: string
  input: FakeChatInput
  b: FakeBehavior
  promptTokens: number
  answer: Answer
}

async function generation(
  ex: Exchange,
  ctx: ApiContext,
  toInput: (body: Record<string, unknown>, model: string) => FakeChatInput,
): Promise<Generation | undefined> {
  const checked = checkModel(ex, ctx)
  if (!checked) return undefined
  const { body, model } = checked
  const b = behaviorFor(ex, ctx, model, writeOllamaError)
  if (!b) return undefined
  const input = toInput(body, model)
  const promptTokens = countPromptTokens(input.messages)
  if (!(await prelude(ex, b, promptTokens, model, writeOllamaError))) return undefined
  const format = body.format
  const answer = produceAnswer(b, {
    input,
    tools: toolSpecs(body.tools),
    toolChoice: 'auto',
    json: format === 'json',
    schema: asObject(format),
    maxTokens: positiveInt(asObject(body.options)?.num_predict),
  })
  return { body, model, input, b, promptTokens, answer }
}

/** Ollama sends tool arguments as an object. */
function toolCallsOf(answer: Answer): object[] {
  return answer.toolCalls.map((c, index) => {
    let args: unknown
    try {
      args = JSON.parse(c.arguments)
    } catch {
      args = {}
    }
    return { function: { index, name: c.name, arguments: args } }
  })
}

function doneReason(answer: Answer): string {
  return answer.finishReason === 'length' ? 'length' : 'stop'
}

async function chat(ex: Exchange, ctx: ApiContext): Promise<void> {
  const g = await generation(ex, ctx, (body, model) => chatInput(model, body.messages))
  if (!g) return
  const { body, model, b, promptTokens, answer } = g
  const createdAt = new Date().toISOString()
  const toolCalls = toolCallsOf(answer)
  const tokens = answer.completionTokens
  if (body.stream === false) {
    await sendGenerated(ex, b, JSON_TYPE, tokens, () =>
      JSON.stringify({
        model,
        created_at: createdAt,
        message: {
          role: 'assistant',
          content: answer.content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        done_reason: doneReason(answer),
        done: true,
        ...finalStats(ex, b, promptTokens, tokens),
      }),
    )
    return
  }
  const head = `{"model":${JSON.stringify(model)},"created_at":"${createdAt}","message":`
  const frames: Frame[] = contentChunks(answer.content, b.chunks).map((c) => ({
    data: `${head}${JSON.stringify({ role: 'assistant', content: c.text })},"done":false}\n`,
    tokens: c.tokens,
  }))
  if (toolCalls.length > 0) {
    frames.push({
      data: `${head}${JSON.stringify({ role: 'assistant', content: '', tool_calls: toolCalls })},"done":false}\n`,
      tokens,
    })
  }
  frames.push({
    data: () =>
      `${head}{"role":"assistant","content":""},"done_reason":"${doneReason(answer)}","done":true,${JSON.stringify(finalStats(ex, b, promptTokens, tokens)).slice(1)}\n`,
    tokens: 0,
  })
  await sendStream(ex, b, NDJSON_HEADERS, frames)
}

function generateInput(body: Record<string, unknown>, model: string): FakeChatInput {
  const prompt = typeof body.prompt === 'string' ? body.prompt : ''
  const messages = typeof body.system === 'string' ? [{ role: 'system', content: body.system }] : []
  messages.push({ role: 'user', content: prompt })
  return { model, messages, lastUserText: prompt }
}

/** Ollama's `context`: token ids of prompt and answer (here a stable hash of each word). */
function contextIds(text: string): number[] {
  return splitTokens(text).map((t) => {
    let h = 0
    for (let i = 0; i < t.length; i++) h = (h * 31 + t.charCodeAt(i)) % 32000
    return h
  })
}

async function generate(ex: Exchange, ctx: ApiContext): Promise<void> {
  const g = await generation(ex, ctx, generateInput)
  if (!g) return
  const { body, model, input, b, promptTokens, answer } = g
  const createdAt = new Date().toISOString()
  const tokens = answer.completionTokens
  const final = (response: string): string =>
    JSON.stringify({
      model,
      created_at: createdAt,
      response,
      done: true,
      done_reason: doneReason(answer),
      context: contextIds(`${input.lastUserText} ${answer.content}`),
      ...finalStats(ex, b, promptTokens, tokens),
    })
  if (body.stream === false) {
    await sendGenerated(ex, b, JSON_TYPE, tokens, () => final(answer.content))
    return
  }
  const head = `{"model":${JSON.stringify(model)},"created_at":"${createdAt}","response":`
  const frames: Frame[] = contentChunks(answer.content, b.chunks).map((c) => ({
    data: `${head}${JSON.stringify(c.text)},"done":false}\n`,
    tokens: c.tokens,
  }))
  frames.push({ data: () => `${final('')}\n`, tokens: 0 })
  await sendStream(ex, b, NDJSON_HEADERS, frames)
}

async function embed(ex: Exchange, ctx: ApiContext, legacy: boolean): Promise<void> {
  const checked = checkModel(ex, ctx)
  if (!checked) return
  const { body, model } = checked
  const raw = legacy ? body.prompt : body.input
  const texts =
    typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((x) => typeof x === 'string') : []
  if (texts.length === 0 && !legacy) {
    writeOllamaError(ex, 400, 'invalid input type', null, null)
    return
  }
  const b = behaviorFor(ex, ctx, model, writeOllamaError)
  if (!b) return
  let tokens = 0
  for (const t of texts) tokens += countTokens(t)
  if (!(await prelude(ex, b, tokens, model, writeOllamaError))) return
  const dimensions = positiveInt(body.dimensions) ?? ctx.dimensions
  await sendGenerated(ex, b, JSON_TYPE, 0, () => {
    // The legacy endpoint answers an empty prompt with an empty vector, as Ollama does.
    if (legacy) return JSON.stringify({ embedding: texts[0] ? fakeEmbedding(texts[0], dimensions) : [] })
    const total = Math.round((performance.now() - ex.startedAt) * 1e6)
    return JSON.stringify({
      model,
      embeddings: texts.map((t) => fakeEmbedding(t, dimensions)),
      total_duration: total,
      load_duration: 0,
      ...(b.reportUsage === false ? {} : { prompt_eval_count: tokens }),
    })
  })
}

/** `name` → `name:latest`, as Ollama lists models. */
function tagged(name: string): string {
  return name.includes(':') ? name : `${name}:latest`
}

function tagsBody(models: string[]): string {
  const modifiedAt = new Date().toISOString()
  return JSON.stringify({
    models: models.map((name) => ({
      name,
      model: name,
      modified_at: modifiedAt,
      size: 1_000_000,
      digest: createHash('sha256').update(name).digest('hex'),
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'fake',
        families: ['fake'],
        parameter_size: '1M',
        quantization_level: 'F16',
      },
    })),
  })
}

function notFound(ex: Exchange): void {
  if (ex.record.path.startsWith('/v1/')) openaiNotFound(ex)
  else sendBody(ex, 404, 'text/plain', '404 page not found')
}

/**
 * Starts a fake Ollama on 127.0.0.1 (a free port unless `options.port`): `POST /api/chat`,
 * `/api/generate` (NDJSON unless `stream: false`), `/api/embed`, `/api/embeddings`, `GET /api/tags`,
 * `/api/version`, `/` ("Ollama is running"), and the OpenAI routes under `/v1`.
 */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const models = (options.models ?? DEFAULT_MODELS).map(tagged)
  const ctx = apiContext(options, models)
  const tags = tagsBody(models)
  const version = JSON.stringify({ version: options.version ?? '0.12.6' })
  const routes = openaiRoutes(ctx)
  routes.set('POST /api/chat', (ex) => chat(ex, ctx))
  routes.set('POST /api/generate', (ex) => generate(ex, ctx))
  routes.set('POST /api/embed', (ex) => embed(ex, ctx, false))
  routes.set('POST /api/embeddings', (ex) => embed(ex, ctx, true))
  routes.set('GET /api/tags', (ex) => sendBody(ex, 200, JSON_TYPE, tags))
  routes.set('GET /api/version', (ex) => sendBody(ex, 200, JSON_TYPE, version))
  routes.set('GET /', (ex) => sendBody(ex, 200, 'text/plain; charset=utf-8', 'Ollama is running'))
  routes.set('HEAD /', (ex) => sendBody(ex, 200, 'text/plain; charset=utf-8', ''))
  const core = await startServer(routes, notFound, options)
  return { ...upstreamHandle(core, ctx, core.origin), openaiUrl: `${core.origin}/v1` }
}
