// Rewrites helm/switchyard/files/registry.json from the service registry and the contracts'
// topics (after adding a service, changing its calls/needs, or adding a topic);
// src/chart-registry.test.ts fails until it is rerun.
import { writeFileSync } from 'node:fs'
import { chartRegistryFile, renderChartRegistry } from './chart-registry.ts'
import { services } from './targets.ts'

writeFileSync(chartRegistryFile, renderChartRegistry(services))
