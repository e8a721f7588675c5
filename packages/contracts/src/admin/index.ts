export * from './client.ts'
export * from './errors.ts'
export * from './key-resolution.ts'
export * from './prompts.ts'
