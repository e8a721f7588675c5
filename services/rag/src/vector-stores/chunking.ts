import { ragErrors } from '../errors.ts'
import type { ChunkingStrategy, ChunkingStrategyParam } from './schemas.ts'

/** OpenAI's `auto`: 800-token chunks overlapping by 400. */
export const autoChunking: ChunkingStrategy = {
  type: 'static',
  static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 },
}

/**
 * The strategy to store for a request's `chunking_strategy` (at `param`), or `fallback` when it
 * names none. An overlap above half the chunk size is refused, as OpenAI does.
 */
export function resolveChunking(
  requested: ChunkingStrategyParam | undefined,
  fallback: ChunkingStrategy,
  param: string,
): ChunkingStrategy {
  if (requested === undefined) return fallback
  if (requested.type === 'auto') return autoChunking
  const { max_chunk_size_tokens: size, chunk_overlap_tokens: overlap } = requested.static
  if (overlap > size / 2) {
    throw Object.assign(
      new ragErrors.InvalidRequest(
        `chunk_overlap_tokens (${overlap}) must not exceed half of max_chunk_size_tokens (${size})`,
      ),
      { param: `${param}.static.chunk_overlap_tokens` },
    )
  }
  return { type: 'static', static: { max_chunk_size_tokens: size, chunk_overlap_tokens: overlap } }
}
