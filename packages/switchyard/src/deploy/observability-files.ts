// The chart's dashboards and alert rules as files, and the PromQL each of them holds.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const chartDir = fileURLToPath(new URL('../../../../helm/switchyard/', import.meta.url))
export const dashboardsDir = `${chartDir}dashboards/`
export const rulesDir = `${chartDir}rules/`

/** One PromQL expression and where it was found, for the failure message. */
export interface FoundQuery {
  file: string
  where: string
  expr: string
}

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()

/** Every dashboard file, parsed, by file name. */
export function dashboardFiles(): Record<string, unknown> {
  return Object.fromEntries(
    jsonFiles(dashboardsDir).map((name) => [name, JSON.parse(readFileSync(dashboardsDir + name, 'utf8'))]),
  )
}

interface PanelJson {
  title?: string
  targets?: { expr?: string }[]
  panels?: PanelJson[]
}

/** Panel queries, and the selector of each `label_values(selector, label)` variable. */
export function dashboardQueries(): FoundQuery[] {
  const found: FoundQuery[] = []
  for (const [file, dashboard] of Object.entries(dashboardFiles()) as [
    string,
    { panels?: PanelJson[]; templating?: { list?: { name: string; query?: unknown }[] } },
  ][]) {
    const visit = (panels: PanelJson[] = []) => {
      for (const panel of panels) {
        for (const target of panel.targets ?? [])
          if (target.expr !== undefined)
            found.push({ file, where: `panel "${panel.title}"`, expr: target.expr })
        visit(panel.panels)
      }
    }
    visit(dashboard.panels)
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : undefined
      const selector = query?.match(/^label_values\((.+),\s*\w+\)$/)?.[1]
      if (selector !== undefined) found.push({ file, where: `variable $${variable.name}`, expr: selector })
    }
  }
  return found
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[]
}

export const ruleFileNames = () =>
  readdirSync(rulesDir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()

export function ruleFiles(): Record<string, RuleFile> {
  return Object.fromEntries(
    ruleFileNames().map((name) => [name, parse(readFileSync(rulesDir + name, 'utf8')) as RuleFile]),
  )
}

/** Every rule's expression, and the names the recording rules define. */
export function ruleQueries(): { queries: FoundQuery[]; recorded: Set<string> } {
  const queries: FoundQuery[] = []
  const recorded = new Set<string>()
  for (const [file, rules] of Object.entries(ruleFiles()))
    for (const group of rules.groups)
      for (const rule of group.rules) {
        if (rule.record !== undefined) recorded.add(rule.record)
        queries.push({ file, where: rule.alert ?? rule.record ?? group.name, expr: rule.expr })
      }
  return { queries, recorded }
}
