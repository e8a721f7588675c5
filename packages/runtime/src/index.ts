// Starting Switchyard in-process: the composition root (packages/switchyard) passes its registry,
// tests and benchmarks their services or stand-ins; the same path as `switchyard start`, minus the
// listener when `listen: false`.
export { RuntimeConfig } from './config.ts'
export { MigrationError, type MigrationReport, type MigrationSource, migrate } from './migrate.ts'
export { DataDirInUseError, type LocalPostgresOpening } from './pglite.ts'
export {
  type MigratePlan,
  planMigrate,
  planStart,
  resolveCredentialsFile,
  type ServiceRegistry,
  type StartPlan,
  type Target,
  UnknownTargetError,
  validTargets,
} from './plan.ts'
export {
  migrateTarget,
  type StartOptions,
  type Switchyard,
  start,
  type TargetOptions,
  withTargetDatabase,
} from './start.ts'
export {
  createHttpTransport,
  createPeerDispatcher,
  InProcessDispatcher,
  UndeclaredCallError,
} from './transport.ts'
