// Whole objects under string keys: one port, a folder and a memory implementation (S3 to follow).
export { InvalidObjectKeyError, ObjectLengthMismatchError, ObjectNotFoundError } from './errors.ts'
export { createFolderObjectStore } from './folder-object-store.ts'
export { assertValidKey, assertValidPrefix, MAX_KEY_BYTES, MAX_SEGMENT_BYTES } from './keys.ts'
export { createMemoryObjectStore } from './memory-object-store.ts'
export type { ObjectStore, OwnedObjectStore, PutOptions } from './object-store.ts'
