import { expect, test } from 'vitest'
import { services } from '../targets.ts'
import { buildDashboards, dashboardFile } from './dashboards.ts'
import { dashboardFiles } from './observability-files.ts'

// The files are the SDK's typed output: a hand edit, a field Grafana does not know or a missing
// panel shows here. Fix by editing dashboards.ts and running write-dashboards.ts.
test('the dashboard files are exactly what dashboards.ts builds', () => {
  const built = buildDashboards()
  const files = dashboardFiles()
  expect(Object.keys(files).sort()).toEqual(Object.keys(built).sort())
  for (const [name, dashboard] of Object.entries(built))
    expect(files[name], name).toEqual(JSON.parse(dashboardFile(dashboard)))
})

test('every service has a dashboard, beside the overview and LLM cost', () => {
  const names = Object.keys(buildDashboards())
  for (const service of Object.keys(services)) expect(names).toContain(`switchyard-${service}.json`)
  expect(names).toEqual(expect.arrayContaining(['switchyard-overview.json', 'switchyard-llm-cost.json']))
})

test('dashboard uids are unique and every panel id is unique within its dashboard', () => {
  const dashboards = Object.values(buildDashboards())
  expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length)
  for (const dashboard of dashboards) {
    const ids = (dashboard.panels ?? []).map((panel) => panel.id)
    expect(new Set(ids).size, dashboard.uid).toBe(ids.length)
  }
})
