import { createServiceError } from '@switchyard/kit'

/** Search's error codes (rag's, declared beside the feature that raises them). */
export const searchErrors = {
  /** A filter reads an attribute no file of the store has: most likely a typo, never silently empty. */
  UnknownFilterKey: createServiceError<'RAG_ERR_UNKNOWN_FILTER_KEY', [string, string]>(
    'RAG_ERR_UNKNOWN_FILTER_KEY',
    'Unknown filter key %s: no file in vector store %s has such an attribute',
    400,
  ),
  InvalidFilter: createServiceError<'RAG_ERR_INVALID_FILTER', [string]>('RAG_ERR_INVALID_FILTER', '%s', 400),
  /** The llm-router could not embed the query (down, or the store's model is unknown to it). */
  EmbeddingFailed: createServiceError<'RAG_ERR_EMBEDDING_FAILED', [string, string]>(
    'RAG_ERR_EMBEDDING_FAILED',
    'Could not embed the query with model %s: %s',
    502,
  ),
}
