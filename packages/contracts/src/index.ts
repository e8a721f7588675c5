export * from './error-body.ts'
export * from './identity.ts'
export * from './service-names.ts'
export * from './topic.ts'
