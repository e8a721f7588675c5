// The composition root, for code that starts Switchyard in-process (tests, benchmarks): the same
// path as `switchyard start`, minus the listener when `listen: false`.
export { RuntimeConfig } from './config.ts'
export { MigrationError, type MigrationReport, type MigrationSource, migrate } from './migrate.ts'
export {
  type MigratePlan,
  planMigrate,
  planStart,
  type StartPlan,
  type Target,
  UnknownTargetError,
  validTargets,
} from './plan.ts'
export { migrateTarget, type StartOptions, type Switchyard, start } from './start.ts'
export { type ServiceRegistry, services } from './targets.ts'
