// SASL/SCRAM to Kafka on a real broker: a throwaway single KRaft node from deploy/local's Kafka
// jars whose only client listener is SASL_PLAINTEXT with SCRAM-SHA-256, its user made at format
// time. The bus options come from the KAFKA_SASL_* keys through the function start.ts uses.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { loadConfig } from '@switchyard/config'
import { defineTopic } from '@switchyard/contracts'
import { createKafkaBus } from '@switchyard/events'
import { freePort } from '@switchyard/test-backends'
import { pino } from 'pino'
import { Type } from 'typebox'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { kafkaOptions } from './client-options.ts'
import { RuntimeConfig } from './config.ts'

const run = promisify(execFile)
// Where deploy/local keeps Kafka and the JDK it runs on (deploy/local/lib/kafka.sh, common.sh).
const libs = join(process.env.SWITCHYARD_CACHE ?? '/var/cache/switchyard', 'kafka-3.9.2', 'libs', '*')
const java = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'
const user = { name: 'switchyard', password: `scram-${process.pid}` }
let dir: string
let broker: ChildProcess | undefined
let port: number

const accepts = (at: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: at })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

beforeAll(async () => {
  await access(java)
  dir = await mkdtemp(join(tmpdir(), 'switchyard-kafka-sasl-'))
  const [client, controller, internal] = [await freePort(), await freePort(), await freePort()]
  port = client
  await writeFile(
    join(dir, 'server.properties'),
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_PLAINTEXT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller},INTERNAL://127.0.0.1:${internal}`,
      `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${client},INTERNAL://127.0.0.1:${internal}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-256',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  )
  const tool = ['-cp', libs, 'kafka.tools.StorageTool']
  const clusterId = (await run(java, [...tool, 'random-uuid'])).stdout.trim()
  await run(java, [
    ...tool,
    'format',
    '-t',
    clusterId,
    '-c',
    join(dir, 'server.properties'),
    '--add-scram',
    `SCRAM-SHA-256=[name=${user.name},password=${user.password}]`,
  ])
  broker = spawn(
    java,
    [
      '-Xms256m',
      '-Xmx256m',
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      '-cp',
      libs,
      'kafka.Kafka',
      join(dir, 'server.properties'),
    ],
    { stdio: 'ignore' },
  )
  // Polled: the JVM takes seconds to listen (a minute on a busy machine), and nothing tells when.
  const deadline = performance.now() + 150_000
  while (!(await accepts(client))) {
    if (broker.exitCode !== null) throw new Error(`the test broker exited with ${broker.exitCode}`)
    if (performance.now() > deadline) throw new Error('the test broker did not listen within 150 s')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}, 180_000)

afterAll(async () => {
  broker?.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

const Note = Type.Object({ text: Type.String() })

async function busWith(env: Record<string, string>) {
  const bus = await createKafkaBus({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'switchyard-sasl-test',
    logger: pino({ level: 'silent' }),
    sendTimeoutMs: 5_000,
    ...kafkaOptions(loadConfig(RuntimeConfig, env)),
  })
  onTestFinished(() => bus.close())
  return bus
}

test('KAFKA_SASL_*: the bus authenticates with SCRAM-SHA-256 and publishes', async () => {
  const bus = await busWith({
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: user.name,
    KAFKA_SASL_PASSWORD: user.password,
  })
  expect(await bus.ready()).toBe(true)
  const published = await bus.publish(defineTopic('sasl-test.v1', Note), 'k', { text: 'over SCRAM' })
  expect(published.data).toEqual({ text: 'over SCRAM' })
}, 60_000)

test('a wrong password, or no SASL at all, is refused', async () => {
  const wrong = await busWith({
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: user.name,
    KAFKA_SASL_PASSWORD: 'not-the-password',
  })
  expect(await wrong.ready()).toBe(false)
  expect(await (await busWith({})).ready()).toBe(false)
}, 60_000)
