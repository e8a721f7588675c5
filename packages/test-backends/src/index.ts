export type { InfraEndpoints } from './infra-endpoints.ts'
export { getInfra, INFRA_ENV } from './infra-env.ts'
export { restartKafka, startKafka, stopKafka, waitForKafka } from './infra-kafka.ts'
export { dropS3Bucket, ensureS3Bucket } from './infra-s3.ts'
export {
  createScratchDatabase,
  type ScratchDatabase,
  type ScratchDatabaseOptions,
} from './scratch-database.ts'
export { freePort, makeTestCertificates, type TestCertificates } from './throwaway-servers.ts'
