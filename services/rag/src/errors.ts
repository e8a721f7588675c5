import { ragErrorCodes } from '@switchyard/contracts'
import { createServiceError } from '@switchyard/kit'

/**
 * Rag's error codes. A code is stable: clients branch on it, the message is for people. Another
 * org's resource, or a vector store the caller is not on the access list of, is "not found",
 * never "forbidden": a caller must not learn that an id exists elsewhere.
 */
export const ragErrors = {
  FileNotFound: createServiceError<'RAG_ERR_FILE_NOT_FOUND', [string]>(
    'RAG_ERR_FILE_NOT_FOUND',
    'No such File object: %s',
    404,
  ),
  VectorStoreNotFound: createServiceError<typeof ragErrorCodes.VectorStoreNotFound, [string]>(
    ragErrorCodes.VectorStoreNotFound,
    'No such vector store: %s',
    404,
  ),
  VectorStoreFileNotFound: createServiceError<'RAG_ERR_VECTOR_STORE_FILE_NOT_FOUND', [string, string]>(
    'RAG_ERR_VECTOR_STORE_FILE_NOT_FOUND',
    'No file %s in vector store %s',
    404,
  ),
  FileBatchNotFound: createServiceError<'RAG_ERR_FILE_BATCH_NOT_FOUND', [string, string]>(
    'RAG_ERR_FILE_BATCH_NOT_FOUND',
    'No file batch %s in vector store %s',
    404,
  ),
  /** The upload is larger than RAG_MAX_UPLOAD_BYTES. */
  FileTooLarge: createServiceError<'RAG_ERR_FILE_TOO_LARGE', [number]>(
    'RAG_ERR_FILE_TOO_LARGE',
    'The file is larger than the limit of %d bytes',
    413,
  ),
  /** `POST /v1/files` with a body that is not multipart/form-data, or without its `file` part. */
  FileRequired: createServiceError<'RAG_ERR_FILE_REQUIRED', [string]>('RAG_ERR_FILE_REQUIRED', '%s', 400),
  UnsupportedPurpose: createServiceError<'RAG_ERR_UNSUPPORTED_PURPOSE', [string]>(
    'RAG_ERR_UNSUPPORTED_PURPOSE',
    "Unsupported purpose %s: this server stores files with purpose 'assistants' only",
    400,
  ),
  /** A store's embedding model changes only while it holds no file: its vectors would not compare. */
  EmbeddingModelFixed: createServiceError<'RAG_ERR_EMBEDDING_MODEL_FIXED', [string]>(
    'RAG_ERR_EMBEDDING_MODEL_FIXED',
    'Vector store %s already holds files: its embedding_model cannot change (create a new store)',
    400,
  ),
  /** A request that passed its schema but breaks a rule (chunk overlap above half the chunk size). */
  InvalidRequest: createServiceError<'RAG_ERR_INVALID_REQUEST', [string]>(
    'RAG_ERR_INVALID_REQUEST',
    '%s',
    400,
  ),
  /** The runtime gave the plugin no object store (rag lists 'objects' in its needs). */
  NoObjectStore: createServiceError(
    'RAG_ERR_NO_OBJECT_STORE',
    'rag needs an object store for originals',
    500,
  ),
  /** The runtime gave the plugin no SQL pool, or one without transactions. */
  NoSql: createServiceError('RAG_ERR_NO_SQL', 'rag needs a SQL pool with connect() (pg.Pool)', 500),
}

export type RagErrorCode = InstanceType<(typeof ragErrors)[keyof typeof ragErrors]>['code']
