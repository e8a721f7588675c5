import { fileURLToPath } from 'node:url'

/** services/chat/migrations: the PostgreSQL store's tables, applied by `switchyard migrate`. */
export const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url))
