import { exec } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { runInfra } from './infra-deploy-local.ts'
import {
  getInfra,
  KAFKA_CONTAINER_ENV,
  KAFKA_RESTART_CMD_ENV,
  KAFKA_START_CMD_ENV,
  KAFKA_STOP_CMD_ENV,
} from './infra-env.ts'

const execAsync = promisify(exec)

type Action = 'stop' | 'start' | 'restart'

const COMMAND_ENV: Record<Action, string> = {
  stop: KAFKA_STOP_CMD_ENV,
  start: KAFKA_START_CMD_ENV,
  restart: KAFKA_RESTART_CMD_ENV,
}

async function control(action: Action): Promise<void> {
  const infra = getInfra()
  if (infra.source === 'deploy-local') {
    // infra.sh waits until the broker answers again (up, restart) or has exited (down).
    await runInfra([{ stop: 'down', start: 'up', restart: 'restart' }[action], 'kafka'])
    return
  }
  if (infra.source === 'testcontainers') {
    const id = process.env[KAFKA_CONTAINER_ENV]
    if (!id)
      throw new Error(`${KAFKA_CONTAINER_ENV} is unset: the global setup records the Kafka container there`)
    // Loaded here only: testcontainers is heavy, and unit tests import this package too.
    const { controlKafkaContainer } = await import('./infra-testcontainers.ts')
    await controlKafkaContainer(id, action)
    if (action !== 'stop') await waitForKafka(infra.kafkaBrokers)
    return
  }
  const command = process.env[COMMAND_ENV[action]]?.trim()
  if (command) {
    await execAsync(command)
  } else if (action === 'restart' && process.env[KAFKA_STOP_CMD_ENV] && process.env[KAFKA_START_CMD_ENV]) {
    await control('stop')
    await control('start')
    return
  } else {
    throw new Error(
      `cannot ${action} Kafka: the servers came from the environment (source 'env'); set ${COMMAND_ENV[action]} ` +
        'to a shell command that does it, or run the tests through deploy/local or testcontainers',
    )
  }
  if (action !== 'stop') await waitForKafka(infra.kafkaBrokers)
}

/** Polls until the brokers answer a DescribeCluster with at least one broker. */
export async function waitForKafka(brokers: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    const admin = new Kafka({
      clientId: 'switchyard-infra-wait',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2_000,
    }).admin()
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      if (cluster.brokers.length > 0) return
    } catch (error) {
      lastError = error
    } finally {
      await admin.disconnect().catch(() => {})
    }
    await delay(500)
  }
  throw new Error(`Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms: ${String(lastError)}`)
}

/** Stops the broker and starts it again; resolves once it answers. For broker-outage tests. */
export const restartKafka = (): Promise<void> => control('restart')
/** Stops the broker (resolves once it is down); pair with startKafka in a test's finally. */
export const stopKafka = (): Promise<void> => control('stop')
/** Starts the broker stopped by stopKafka; resolves once it answers. */
export const startKafka = (): Promise<void> => control('start')
