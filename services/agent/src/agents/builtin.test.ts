// The deployment's built-in agents (AGENT_BUILTIN_AGENTS_FILE): a good file gives every org
// read-only agents it can run; a bad one stops the start with every problem named at once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@switchyard/config'
import { alice, eve } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentUnderTest, scriptRouter, startAgent, testTools } from '../test-support.ts'
import { loadBuiltinAgents } from './builtin.ts'

let dir: string
let t: AgentUnderTest | undefined
const tools = testTools()

const good = `
agents:
  - name: helper
    description: Answers questions about the product
    instructions: You help.
    examples: [how do I reset my password]
  - name: adder
    instructions: You add numbers.
    model: fake-chat
    tools: [add]
    tool_choice: add
    limits: { max_turns: 3 }
`
// Four agents, three of them wrong in six ways: all of them in one error.
const bad = `
- name: ok
  instructions: fine
- name: ok
  instructions: the same name again
- name: broken
  limits: { max_turns: 0 }
  colour: blue
- name: picky
  instructions: x
  tools: [add]
  tool_choice: delete_everything
  output_schema: { type: nope }
`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'builtin-agents-'))
  await writeFile(join(dir, 'good.yaml'), good)
  await writeFile(join(dir, 'bad.yaml'), bad)
})
afterAll(async () => {
  await t?.close()
  await rm(dir, { recursive: true, force: true })
})

test('a good file: agents with the defaults filled in, ids from their names', () => {
  const agents = loadBuiltinAgents(join(dir, 'good.yaml'), 'local')
  expect(agents.map((a) => [a.id, a.model, a.toolChoice])).toEqual([
    ['agent_builtin_helper', 'local', 'auto'],
    ['agent_builtin_adder', 'fake-chat', 'add'],
  ])
  expect(agents[1]?.limits).toEqual({
    max_turns: 3,
    max_total_tokens: 100_000,
    max_wall_time_ms: 300_000,
    tool_timeout_ms: 30_000,
  })
  expect(agents.every((a) => a.builtin)).toBe(true)
})

test('a bad file: one ConfigError naming every problem of every agent', () => {
  const path = join(dir, 'bad.yaml')
  let error: unknown
  try {
    loadBuiltinAgents(path, 'local')
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(ConfigError)
  const issues = (error as ConfigError).issues
  expect(issues.every((i) => i.key === 'AGENT_BUILTIN_AGENTS_FILE' && i.message.startsWith(path))).toBe(true)
  const text = (error as Error).message
  expect(text).toMatch(/agent 1 \(ok\): the name is taken/)
  expect(text).toMatch(/agent 2 \(broken\): \/limits\/max_turns must be >= 1/)
  expect(text).toMatch(/agent 2 \(broken\): \/ must have required properties instructions/)
  expect(text).toMatch(/agent 2 \(broken\): \/ must not have additional properties/)
  expect(text).toMatch(/agent 3 \(picky\): output_schema does not compile/)
  expect(text).toMatch(/agent 3 \(picky\): tool_choice delete_everything is not one of its tools/)
  expect(text).not.toMatch(/agent 0/)
})

test.each([
  ['a file that is not there', 'missing.yaml', null, /ENOENT/],
  ['YAML that does not parse', 'broken.yaml', 'agents: [\n  - name: x\n', /at line 2, column 3/],
  ['a document that is no list', 'map.yaml', 'name: x\n', /expected a list of agents/],
])('%s is a ConfigError on the setting', async (_, name, content, why) => {
  if (content !== null) await writeFile(join(dir, name), content)
  expect(() => loadBuiltinAgents(join(dir, name), 'local')).toThrow(ConfigError)
  expect(() => loadBuiltinAgents(join(dir, name), 'local')).toThrow(why)
})

test('the service does not start on a bad file, and says why', async () => {
  await expect(
    startAgent({ tools: tools.source }, { AGENT_BUILTIN_AGENTS_FILE: join(dir, 'bad.yaml') }),
  ).rejects.toThrow(/AGENT_BUILTIN_AGENTS_FILE: .*agent 1 \(ok\): the name is taken/)
}, 120_000)

test('started with a good file, every org lists the built-ins first, cannot change them, and runs them', async () => {
  t = await startAgent({ tools: tools.source }, { AGENT_BUILTIN_AGENTS_FILE: join(dir, 'good.yaml') })
  for (const who of [alice, eve]) {
    const names = (await t.request(who, 'GET', '/v1/agents')).json().data.map((a: { name: string }) => a.name)
    expect(names.slice(0, 2)).toEqual(['helper', 'adder'])
  }
  const change = await t.request(alice, 'POST', '/v1/agents/agent_builtin_adder', { description: 'mine' })
  expect(change.statusCode).toBe(400)
  expect((await t.request(alice, 'DELETE', '/v1/agents/adder')).statusCode).toBe(400)
  const taken = await t.request(alice, 'POST', '/v1/agents', { name: 'adder', instructions: 'x' })
  expect(taken.statusCode).toBe(409)

  scriptRouter(t.router, [{ toolCalls: [{ name: 'add', arguments: '{"a":20,"b":22}' }] }, { content: '42' }])
  const before = t.router.received.length
  const run = (await t.request(alice, 'POST', '/v1/runs', { input: '20 + 22?', agent: 'adder' })).json()
  expect(run).toMatchObject({ status: 'succeeded', output: '42', agent_id: 'agent_builtin_adder' })
  const first = JSON.parse(t.router.received[before]?.body ?? '{}')
  expect(first).toMatchObject({ model: 'fake-chat', tool_choice: { function: { name: 'add' } } })
  expect(first.messages[0]).toEqual({ role: 'system', content: 'You add numbers.' })
}, 120_000)
