// Writes the dashboards built in dashboards.ts to helm/switchyard/dashboards/ and deletes files
// there that no longer are built: `node packages/switchyard/src/deploy/write-dashboards.ts`.
import { readdir, rm, writeFile } from 'node:fs/promises'
import { buildDashboards, dashboardFile } from './dashboards.ts'
import { dashboardsDir } from './observability-files.ts'

const built = buildDashboards()
for (const name of await readdir(dashboardsDir))
  if (name.endsWith('.json') && !(name in built)) await rm(dashboardsDir + name)
for (const [name, dashboard] of Object.entries(built))
  await writeFile(dashboardsDir + name, dashboardFile(dashboard))
console.log(`wrote ${Object.keys(built).length} dashboards to ${dashboardsDir}`)
