// Test support for integration tests on the real PostgreSQL: a database of the test's own, with
// admin's migrations applied, dropped at the end.
import { migrate } from '@switchyard/runtime'
import { createScratchDatabase, type ScratchDatabase } from '@switchyard/testing'
import { adminService } from '../service.ts'

export type { ScratchDatabase }

export async function openScratchDatabase(label: string): Promise<ScratchDatabase> {
  const database = await createScratchDatabase(label)
  await migrate(database.pool, [adminService])
  return database
}
