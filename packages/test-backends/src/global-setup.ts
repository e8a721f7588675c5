import { startDeployLocal } from './infra-deploy-local.ts'
import { getInfra, missingInfraEnv, requestedSource } from './infra-env.ts'
import { ensureS3Bucket } from './infra-s3.ts'
import { dockerAvailable, startContainers } from './infra-testcontainers.ts'
import { backendVersions } from './infra-versions.ts'

/**
 * Vitest global setup of the integration project: finds or starts the real backends once per
 * run and puts their endpoints in process.env, which the test workers inherit (getInfra reads
 * them there). In order:
 *   1. every SWITCHYARD_TEST_* endpoint variable set: those servers (source 'env');
 *   2. a Docker engine answers: testcontainers, removed again at the end ('testcontainers');
 *   3. otherwise deploy/local/infra.sh up, whose servers stay up for the next run ('deploy-local').
 * SWITCHYARD_TEST_INFRA_SOURCE=testcontainers|deploy-local picks 2 or 3 outright. The S3 bucket
 * is then made if missing (a container or docker-compose MinIO starts empty).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const requested = requestedSource()
  let teardown: (() => Promise<void>) | undefined
  const started = Date.now()
  if (missingInfraEnv().length === 0 && (requested === undefined || requested === 'env')) {
    // The servers are someone else's; nothing to start or stop.
  } else if (requested === 'testcontainers' || (requested === undefined && (await dockerAvailable()))) {
    console.log('[infra] starting the backends with testcontainers')
    const containers = await startContainers()
    Object.assign(process.env, containers.env)
    teardown = containers.stop
  } else if (requested === undefined || requested === 'deploy-local') {
    console.log('[infra] no Docker engine: starting the backends with deploy/local/infra.sh up')
    Object.assign(process.env, await startDeployLocal())
  } else {
    throw new Error(`SWITCHYARD_TEST_INFRA_SOURCE=env but ${missingInfraEnv().join(', ')} unset`)
  }
  const infra = getInfra()
  await ensureS3Bucket(infra)
  const versions = await backendVersions(infra)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`[infra] backends from ${infra.source}, ready in ${seconds}s:`)
  console.log(`[infra]   postgres  ${infra.postgresUrl.replace(/:[^:@/]*@/, ':***@')}  ${versions.postgres}`)
  console.log(`[infra]   pgvector  ${infra.pgvectorUrl.replace(/:[^:@/]*@/, ':***@')}  ${versions.pgvector}`)
  console.log(`[infra]   redis     ${infra.redisUrl}  ${versions.redis}`)
  console.log(`[infra]   kafka     ${infra.kafkaBrokers.join(',')}  ${versions.kafka}`)
  console.log(`[infra]   cassandra ${infra.cassandraContactPoints.join(',')}  ${versions.cassandra}`)
  console.log(`[infra]   s3        ${infra.s3Endpoint}  ${versions.s3}`)
  return teardown
}
