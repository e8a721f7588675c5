export * from './fake-upstream/index.ts'
