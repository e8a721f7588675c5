// Whole objects under string keys: one port; folder, S3 and memory implementations.
export { InvalidObjectKeyError, ObjectLengthMismatchError, ObjectNotFoundError } from './errors.ts'
export { createFolderObjectStore } from './folder-object-store.ts'
export { assertValidKey, assertValidPrefix, MAX_KEY_BYTES, MAX_SEGMENT_BYTES } from './keys.ts'
export { createMemoryObjectStore } from './memory-object-store.ts'
export type { ObjectStore, OwnedObjectStore, PutOptions } from './object-store.ts'
export { createS3ObjectStore, ensureBucket, type S3ObjectStoreOptions } from './s3-object-store.ts'
