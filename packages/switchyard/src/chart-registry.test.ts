import { readFileSync } from 'node:fs'
import { topics } from '@switchyard/contracts'
import { expect, test } from 'vitest'
import { chartRegistry, chartRegistryFile, renderChartRegistry } from './chart-registry.ts'
import { services } from './targets.ts'

test('the chart reads the registry as it is (else: node packages/switchyard/src/write-chart-registry.ts)', () => {
  expect(readFileSync(chartRegistryFile, 'utf8')).toBe(renderChartRegistry(services))
})

test('each service carries what its definition says', () => {
  const graph = chartRegistry(services).services
  expect(Object.keys(graph)).toEqual(Object.keys(services))
  expect(graph.gateway).toMatchObject({ signsInternalTokens: true, migrations: false })
  expect(graph['rag-worker']).toMatchObject({ calls: ['llm-router'], signsWorkerTokens: true })
  expect(graph.admin).toMatchObject({ calls: [], needs: ['sql', 'bus'], migrations: true })
})

test('every topic and its DLQ, compacted as the contract says', () => {
  const chartTopics = chartRegistry(services).topics
  expect(chartTopics).toHaveLength(Object.keys(topics).length * 2)
  expect(chartTopics).toContainEqual({ name: 'admin.config.v1', compacted: true })
  expect(chartTopics).toContainEqual({ name: 'admin.config.v1.dlq', compacted: false })
  expect(chartTopics).toContainEqual({ name: 'llm.usage.v1', compacted: false })
})
