// What a command needs before the services' modules load (packages/switchyard/src/bin.ts): the
// runtime's config, where the embedded database lives, and opening it. Only these light modules,
// so that the database starts on its thread while the main thread is still loading the rest.
export { RuntimeConfig } from './config.ts'
export { type LocalPostgresOpening, startLocalPostgres } from './pglite.ts'
export { embeddedDatabaseDir } from './plan.ts'
