// The chart's README from its values.yaml, helm-docs style: a value documented by a `# --` comment
// right above it is one row (its children included in the default), and every value must be
// documented by its own comment or a parent's. README.md.gotmpl holds the text around the table
// (`{{ template "chart.valuesTable" . }}` marks its place, as helm-docs would fill it).
//
//   node scripts/deploy/chart/values-readme.ts <chart dir>          rewrite <chart>/README.md
//   node scripts/deploy/chart/values-readme.ts <chart dir> --check  fail if it is stale or a value is undocumented
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Node, Pair } from 'yaml'

// The workspace's yaml library, as @switchyard/config (its owner) resolves it: the repository root
// has no dependencies of its own to add a script's to.
const { isMap, isScalar, parseDocument } = createRequire(
  new URL('../../../packages/config/package.json', import.meta.url),
)('yaml') as typeof import('yaml')

interface Row {
  key: string
  type: string
  value: unknown
  description: string
}

const MARKER = '{{ template "chart.valuesTable" . }}'

/** The `# --` block of a comment (the last one, and the lines that continue it), or undefined. */
function docOf(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined
  const lines = comment.split('\n').map((line) => line.replace(/^ /, ''))
  const start = lines.findLastIndex((line) => line.startsWith('-- '))
  if (start < 0) return undefined
  return lines
    .slice(start)
    .map((line, i) => (i === 0 ? line.slice(3) : line).trim())
    .join(' ')
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'object'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  return typeof value
}

function collect(node: Node | null, path: string, rows: Row[], undocumented: string[]): void {
  if (!isMap(node)) return
  node.items.forEach((item, index) => {
    const pair = item as Pair<Node, Node>
    const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    const key = path ? `${path}.${/^[\w-]+$/.test(name) ? name : JSON.stringify(name)}` : name
    // yaml puts the comment above a map's first key on the map itself.
    const description =
      docOf(pair.key?.commentBefore) ?? (index === 0 ? docOf(node.commentBefore) : undefined)
    const value = pair.value?.toJSON() ?? null
    if (description !== undefined) {
      rows.push({ key, type: typeOf(value), value, description })
    } else if (isMap(pair.value) && pair.value.items.length > 0) {
      collect(pair.value, key, rows, undocumented)
    } else {
      undocumented.push(key)
    }
  })
}

const cell = (text: string) => text.replaceAll('|', '\\|')

function valuesTable(valuesYaml: string): { table: string; undocumented: string[] } {
  const doc = parseDocument(valuesYaml)
  const rows: Row[] = []
  const undocumented: string[] = []
  collect(doc.contents as Node, '', rows, undocumented)
  const lines = [
    '| Key | Type | Default | Description |',
    '|-----|------|---------|-------------|',
    ...rows.map(
      (row) =>
        `| ${cell(row.key)} | ${row.type} | \`${cell(JSON.stringify(row.value))}\` | ${cell(row.description)} |`,
    ),
  ]
  return { table: lines.join('\n'), undocumented }
}

const [chart, flag] = process.argv.slice(2)
if (!chart) {
  console.error('usage: values-readme.ts <chart dir> [--check]')
  process.exit(2)
}
const template = readFileSync(join(chart, 'README.md.gotmpl'), 'utf8')
const { table, undocumented } = valuesTable(readFileSync(join(chart, 'values.yaml'), 'utf8'))
const readme = template.replace(MARKER, table)
if (undocumented.length > 0) {
  console.error(`values-readme: values without a "# --" comment: ${undocumented.join(', ')}`)
  process.exit(1)
}
if (flag === '--check') {
  if (readFileSync(join(chart, 'README.md'), 'utf8') !== readme) {
    console.error(
      `values-readme: ${chart}/README.md is stale: run node scripts/deploy/chart/values-readme.ts ${chart}`,
    )
    process.exit(1)
  }
} else {
  writeFileSync(join(chart, 'README.md'), readme)
}
