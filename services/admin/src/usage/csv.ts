/**
 * RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, quote or line break. Text
 * starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet opening the
 * export never runs it as a formula (a model or key name is caller-chosen text).
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `${[header, ...rows].map((row) => row.map(field).join(',')).join('\r\n')}\r\n`
}

function field(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
