// Agent as it runs in production: the llm-router and agent replicas each a target of their own on
// the real PostgreSQL, Kafka and Redis, reached over HTTP, with a fresh database per test file.
// One replica can run in a child process (to be killed); the test plays the gateway.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { agentService, createAgentPlugin } from '@switchyard/agent'
import { sseFrames, testTools } from '@switchyard/agent/testing'
import type { Identity } from '@switchyard/contracts'
import { createInternalTokenSigner, defineService, generateInternalKeyPair } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { migrate, type Switchyard, start } from '@switchyard/runtime'
import { createScratchDatabase, getInfra } from '@switchyard/testing'
import type pg from 'pg'

function listenerUrl(switchyard: Switchyard): string {
  const address = switchyard.app.server.address()
  return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : switchyard.url
}

export interface AgentReplica {
  url: string
  /** The test tools' record of calls made in this replica (in-process replicas only). */
  toolCalls?: ReturnType<typeof testTools>['calls']
  /** SIGKILL (a child) or close (in process). */
  stop(): Promise<void>
}

export interface AgentTargets {
  identity: Identity
  /** The internal token keys the replicas verify: a gateway in front of them signs with these. */
  keys: { publicKey: string; privateKey: string }
  /** A request to a replica as the gateway would forward it (a fresh internal token). */
  request(
    replica: AgentReplica,
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response>
  /** A run's event stream read to its end on `replica`: each event's name and data. */
  events(replica: AgentReplica, runId: string): Promise<ReturnType<typeof sseFrames>>
  sql: pg.Pool
  /** An agent replica in this process: the test tools, or (`builtin`) the service's own tools. */
  startReplica(options?: { tools?: 'test' | 'builtin' }): Promise<AgentReplica>
  /** An agent replica in a child process. */
  spawnReplica(): Promise<AgentReplica>
  close(): Promise<void>
}

/** `env`: more settings for every agent replica (e.g. the supervisor's models). */
export async function startAgentTargets(
  models: object,
  env: Record<string, string> = {},
): Promise<AgentTargets> {
  const infra = getInfra()
  const root = await mkdtemp(join(tmpdir(), 'agent-it-'))
  const keys = generateInternalKeyPair()
  const workerKeys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const database = await createScratchDatabase('agent_e2e', { max: 2 })
  const { pool: sql, url } = database
  await migrate(sql, [agentService])

  const started: Switchyard[] = []
  const children: ChildProcess[] = []
  const common = {
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    SHUTDOWN_GRACE_MS: '1s',
  }
  const router = await start({
    target: 'llm-router',
    services: { 'llm-router': llmRouterService },
    homeDir: root,
    env: {
      ...common,
      SWITCHYARD_DATA_DIR: join(root, 'router'),
      LLM_ROUTER_MODELS: JSON.stringify({ models }),
      INTERNAL_TOKEN_WORKER_PUBLIC_KEY: workerKeys.publicKey,
      // Admin's catalogs on the shared Kafka (other tests') are signed with other keys: dropped.
      LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: generateInternalKeyPair().publicKey,
    },
  })
  started.push(router)
  const agentEnv = (name: string) => ({
    ...common,
    SWITCHYARD_DATA_DIR: join(root, name),
    DATABASE_URL: url.toString(),
    INTERNAL_TOKEN_WORKER_PRIVATE_KEY: workerKeys.privateKey,
    // Agent calls only the router here: every peer URL is the router's.
    SWITCHYARD_SERVICE_URL_TEMPLATE: listenerUrl(router),
    ...env,
  })

  const identity: Identity = {
    orgId: `org_${randomUUID().slice(0, 8)}`,
    userId: 'user_e2e',
    keyId: 'key_e2e',
    scopes: ['chat:read', 'chat:write', 'llm:use'],
  }
  let replicas = 0
  const targets: AgentTargets = {
    identity,
    keys,
    sql,
    async request(replica, method, path, body, signal) {
      return fetch(`${replica.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await signer.sign(identity)}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        ...(signal !== undefined && { signal }),
      })
    },
    async events(replica, runId) {
      return sseFrames(await (await targets.request(replica, 'GET', `/v1/runs/${runId}/events`)).text())
    },
    async startReplica(options = {}) {
      const tools = testTools()
      const agent =
        options.tools === 'builtin'
          ? agentService
          : defineService({ ...agentService, plugin: createAgentPlugin({ tools: tools.source }) })
      const switchyard = await start({
        target: 'agent',
        services: { agent },
        homeDir: root,
        env: agentEnv(`agent-${replicas++}`),
      })
      started.push(switchyard)
      return {
        url: listenerUrl(switchyard),
        ...(options.tools !== 'builtin' && { toolCalls: tools.calls }),
        stop: () => switchyard.close(),
      }
    },
    async spawnReplica() {
      const script = fileURLToPath(new URL('./agent-replica.ts', import.meta.url))
      const child = spawn(process.execPath, [script], {
        env: { PATH: process.env.PATH, HOME: root, ...agentEnv(`agent-${replicas++}`) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      let output = ''
      child.stdout?.on('data', (chunk) => {
        output += chunk
      })
      child.stderr?.on('data', (chunk) => {
        output += chunk
      })
      const url = await new Promise<string>((resolve, reject) => {
        const check = setInterval(() => {
          const found = /agent replica listening on (\S+)/.exec(output)?.[1]
          if (found) {
            clearInterval(check)
            resolve(found)
          } else if (child.exitCode !== null) {
            clearInterval(check)
            reject(new Error(`the agent replica exited:\n${output}`))
          }
        }, 50)
      })
      return {
        url,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = new Promise((resolve) => child.once('exit', resolve))
          child.kill('SIGKILL')
          await exited
        },
      }
    },
    async close() {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      for (const switchyard of started.reverse()) await switchyard.close()
      await database.drop()
    },
  }
  return targets
}
