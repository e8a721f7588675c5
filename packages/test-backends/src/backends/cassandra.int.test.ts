import { randomUUID } from 'node:crypto'
import { Client, types } from 'cassandra-driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { cassandraVersion } from '../infra-versions.ts'

const { cassandraContactPoints, cassandraLocalDataCenter } = getInfra()
const client = new Client({
  contactPoints: cassandraContactPoints,
  localDataCenter: cassandraLocalDataCenter,
})
const keyspace = `test_backends_${randomUUID().replaceAll('-', '').slice(0, 16)}`

beforeAll(async () => {
  console.log(`cassandra: ${await cassandraVersion(cassandraContactPoints, cassandraLocalDataCenter)}`)
  await client.connect()
})

afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  await client.shutdown()
})

test('a keyspace and table take rows through prepared statements and read them newest first', async () => {
  await client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  )
  await client.execute(
    `CREATE TABLE ${keyspace}.messages (
       conversation_id uuid, bucket int, sent_at timeuuid, body text,
       PRIMARY KEY ((conversation_id, bucket), sent_at)
     ) WITH CLUSTERING ORDER BY (sent_at DESC)`,
  )
  const conversation = types.Uuid.random()
  const other = types.Uuid.random()
  const insert = `INSERT INTO ${keyspace}.messages (conversation_id, bucket, sent_at, body) VALUES (?, ?, ?, ?)`
  const base = Date.now()
  const bodies = ['first', 'second', 'third']
  for (const [i, body] of bodies.entries()) {
    const sentAt = types.TimeUuid.fromDate(new Date(base + i * 1000))
    await client.execute(insert, [conversation, 0, sentAt, body], { prepare: true })
  }
  await client.execute(insert, [other, 0, types.TimeUuid.now(), 'elsewhere'], { prepare: true })

  const result = await client.execute(
    `SELECT body, sent_at FROM ${keyspace}.messages WHERE conversation_id = ? AND bucket = ?`,
    [conversation, 0],
    { prepare: true },
  )
  expect(result.rows.map((row) => row.get('body'))).toEqual(['third', 'second', 'first'])
  const times = result.rows.map((row) => (row.get('sent_at') as types.TimeUuid).getDate().getTime())
  expect(times).toEqual([base + 2000, base + 1000, base])
})
