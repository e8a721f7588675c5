// Prints the closing line CI reads ("tests: N passed, N failed") from vitest's JSON reports
// (one per project run), and fails when the runs executed no test at all.
import { existsSync, readFileSync } from 'node:fs'

interface VitestReport {
  numPassedTests: number
  numFailedTests: number
  numTotalTests: number
}

const paths = process.argv.slice(2)
if (paths.length === 0) throw new Error('usage: test-summary.ts <vitest-json-report>...')
let passed = 0
let failed = 0
let total = 0
for (const path of paths) {
  // A run that crashed before reporting leaves no file: count it as a failure.
  if (!existsSync(path)) {
    console.error(`no report at ${path}`)
    failed += 1
    continue
  }
  const report = JSON.parse(readFileSync(path, 'utf8')) as VitestReport
  passed += report.numPassedTests
  failed += report.numFailedTests
  total += report.numTotalTests
}
console.log(`tests: ${passed} passed, ${failed} failed`)
if (total === 0) {
  console.error('no test ran')
  process.exit(1)
}
process.exit(failed > 0 ? 1 : 0)
