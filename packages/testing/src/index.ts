// The real servers of integration tests, for the services' tests; the packages below the runtime
// import @switchyard/test-backends themselves (this package depends on the runtime).
export {
  createScratchDatabase,
  dropS3Bucket,
  getInfra,
  INFRA_ENV,
  type InfraEndpoints,
  restartKafka,
  type ScratchDatabase,
  startKafka,
  stopKafka,
  waitForKafka,
} from '@switchyard/test-backends'
export * from './fake-upstream/index.ts'
export * from './gguf/index.ts'
export * from './harness/index.ts'
export { jsonBody } from './json-body.ts'
