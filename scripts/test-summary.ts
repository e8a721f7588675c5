// Prints the closing line CI reads ("tests: N passed, N failed") from vitest's JSON report,
// and fails when the run executed no test at all.
import { readFileSync } from 'node:fs'

const path = process.argv[2]
if (!path) throw new Error('usage: test-summary.ts <vitest-json-report>')
const report = JSON.parse(readFileSync(path, 'utf8')) as {
  numPassedTests: number
  numFailedTests: number
  numTotalTests: number
}
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed`)
if (report.numTotalTests === 0) {
  console.error('no test ran')
  process.exit(1)
}
process.exit(report.numFailedTests > 0 ? 1 : 0)
