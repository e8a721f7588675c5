// The runtime, for tests, by path rather than as a package: @switchyard/runtime depends on this
// package (its targets.ts registers chat), so a dependency back from here would be a cycle, which
// turbo refuses. Only tests import this file.
export { migrate, type Switchyard, start } from '../../../packages/runtime/src/index.ts'
