/** rag's error codes its callers act on: rag declares its errors with these. */
export const ragErrorCodes = {
  VectorStoreNotFound: 'RAG_ERR_VECTOR_STORE_NOT_FOUND',
} as const
