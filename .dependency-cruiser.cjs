// The layers, as `pnpm lint` enforces them (docs/architecture.md, "Dependencies point one way"):
//
//   packages/switchyard, bench/*   the top: the composition root and the benchmarks compose services
//   services/*                     each on its own: it reaches another only over HTTP, through contracts
//   packages/* (the rest)          the platform: kit, config, contracts, events, telemetry, runtime, testing
//
// Tests count: a test that needs two real services lives in packages/switchyard.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'service-imports-another-service',
      comment:
        'A service never imports another service, tests included. Call it through its client in ' +
        '@switchyard/contracts; a test that needs both real services goes to packages/switchyard.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'runtime-imports-a-service',
      comment:
        'The runtime plans and starts whatever registry it is given; the registry lives in ' +
        'packages/switchyard and is passed to start() and migrateTarget().',
      severity: 'error',
      from: { path: '^packages/runtime/' },
      to: { path: '^services/' },
    },
    {
      name: 'package-imports-a-service',
      comment:
        'Only the composition root (packages/switchyard) and the benchmarks sit above the services. ' +
        'A platform package that needs a service takes its definition as an argument.',
      severity: 'error',
      from: { path: '^packages/', pathNot: '^packages/(switchyard|runtime)/' },
      to: { path: '^services/' },
    },
    {
      name: 'something-imports-the-composition-root',
      comment: 'packages/switchyard is the top of the graph: nothing imports it.',
      severity: 'error',
      from: { pathNot: '^packages/switchyard/' },
      to: { path: '^packages/switchyard/' },
    },
    {
      name: 'import-resolves-nowhere',
      comment:
        'An import that resolves to no file: most often a workspace package used without being ' +
        'listed in package.json, which would also hide a crossed layer from the rules above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // ES modules only: plan.ts has a local function named `require`, which is not CommonJS.
    moduleSystems: ['es6'],
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    // Workspace packages resolve through their node_modules links to the folders they live in.
    preserveSymlinks: false,
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
}
