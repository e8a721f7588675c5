import { availableParallelism } from 'node:os'
import { type Static, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Deployment } from '../../catalog/schema.ts'

/** A local deployment's `options` in the catalog. Every field is optional. */
export const LocalOptionsSpec = Type.Object(
  {
    /**
     * The GGUF to run: a file path, or a URI node-llama-cpp resolves and downloads on first use
     * (`hf:user/repo/file.gguf`, `hf:user/repo:Q4_K_M`, an https URL). Default: the deployment's `model`.
     */
    modelPath: Type.Optional(Type.String({ minLength: 1 })),
    /** Where URIs are downloaded to and looked up in. Default: node-llama-cpp's (~/.node-llama-cpp/models). */
    modelsDir: Type.Optional(Type.String({ minLength: 1 })),
    /** false: a URI whose file is not in modelsDir fails instead of downloading. Default true. */
    download: Type.Optional(Type.Boolean()),
    /** The Hugging Face endpoint `hf:` URIs resolve against (a mirror). Default https://huggingface.co. */
    huggingFaceEndpoint: Type.Optional(Type.String({ minLength: 1 })),
    /** Context window of the chat context, tokens, capped at the model's trained context (llama.cpp rounds it up to a multiple of 256). Default 4096. */
    contextSize: Type.Optional(Type.Integer({ minimum: 64 })),
    /** Requests generated at once (sequences of the one context); more wait in line. Default 1. */
    sequences: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    /** CPU threads per context. Default: the machine's cores less one (one core is left to the event loop). */
    threads: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Accelerator backend. Default false (CPU); 'auto' probes CUDA, Vulkan and Metal. */
    gpu: Type.Optional(
      Type.Union([
        Type.Literal(false),
        Type.Literal('auto'),
        Type.Literal('cuda'),
        Type.Literal('vulkan'),
        Type.Literal('metal'),
      ]),
    ),
    /** Context window of the embedding context, tokens. Default: contextSize. */
    embeddingContextSize: Type.Optional(Type.Integer({ minimum: 64 })),
    /**
     * true: an embedding input longer than the embedding context is cut to fit, keeping its start
     * (as Ollama and sentence-transformers do), and usage counts the tokens embedded. Default false:
     * a 400, as OpenAI answers.
     */
    embeddingTruncate: Type.Optional(Type.Boolean()),
    /** Temperature when a request names none. Default 1, OpenAI's default. */
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  },
  { additionalProperties: false },
)
export type LocalOptionsSpec = Static<typeof LocalOptionsSpec>

const uriPattern = /^(hf:|huggingface:|https?:\/\/)/i

/** A model reference node-llama-cpp downloads (hf:, huggingface:, http(s)), not a file path. */
export function isModelUri(ref: string): boolean {
  return uriPattern.test(ref)
}

/**
 * What only the operator's own catalog may set (src/catalog/policy.ts): where a model is downloaded
 * from (a URI, a Hugging Face mirror) and to (`modelsDir`). Admin's catalogs name files already there.
 */
export function downloadOptionIssues(
  options: Record<string, unknown>,
  model: string,
  policy: { localDownloads: boolean },
): string[] {
  if (policy.localDownloads) return []
  const issues: string[] = []
  for (const key of ['modelsDir', 'huggingFaceEndpoint'])
    if (options[key] !== undefined) issues.push(`options/${key} may be set only in the operator's catalog`)
  const modelPath = typeof options.modelPath === 'string' ? options.modelPath : model
  if (isModelUri(modelPath))
    issues.push(`options/modelPath ${modelPath} is a download; only the operator's catalog may name one`)
  return issues
}

/** The options with every default filled in (contextSize is capped once the model is known). */
export interface LocalOptions {
  modelPath: string
  modelsDir: string | undefined
  download: boolean
  huggingFaceEndpoint: string | undefined
  contextSize: number
  sequences: number
  threads: number
  gpu: false | 'auto' | 'cuda' | 'vulkan' | 'metal'
  embeddingContextSize: number | undefined
  embeddingTruncate: boolean
  temperature: number
}

const check = Compile(LocalOptionsSpec)

/** Every problem with a local deployment's options, one line each; empty when they are valid. */
export function localOptionIssues(options: unknown): string[] {
  if (check.Check(options)) return []
  return check.Errors(options).map((e) => `options${e.instancePath} ${e.message}`)
}

/** A local deployment's options, validated and defaulted; throws listing every problem. */
export function localOptions(deployment: Deployment): LocalOptions {
  const issues = localOptionIssues(deployment.options)
  if (issues.length > 0)
    throw new Error(`local deployment ${deployment.id}: invalid options:\n  ${issues.join('\n  ')}`)
  const spec = deployment.options as LocalOptionsSpec
  return {
    modelPath: spec.modelPath ?? deployment.model,
    modelsDir: spec.modelsDir,
    download: spec.download ?? true,
    huggingFaceEndpoint: spec.huggingFaceEndpoint,
    contextSize: spec.contextSize ?? 4096,
    sequences: spec.sequences ?? 1,
    threads: spec.threads ?? Math.max(1, availableParallelism() - 1),
    gpu: spec.gpu ?? false,
    embeddingContextSize: spec.embeddingContextSize,
    embeddingTruncate: spec.embeddingTruncate ?? false,
    temperature: spec.temperature ?? 1,
  }
}
