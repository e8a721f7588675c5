import { randomBytes, randomUUID } from 'node:crypto'
import { types } from 'cassandra-driver'

/**
 * Message ids are version-1 (time) UUIDs, Cassandra's `timeuuid`: they sort by creation time, so
 * both stores page newest-first on the id alone, and the Cassandra store derives a message's
 * partition (time bucket) from it. Conversation ids are random (v4) UUIDs.
 */

/** Cassandra's timeuuid ticks: 100-ns intervals, ten thousand to a millisecond. */
const ticksPerMs = 10_000
/** Milliseconds between the UUID epoch (1582-10-15) and the Unix epoch. */
const uuidEpochOffsetMs = 12_219_292_800_000n
const TIME_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * Makes time ids, strictly increasing within this generator even inside one millisecond or when
 * the clock steps back. The driver's TimeUuid lays out the bits; the generator picks the time and
 * the tick inside its millisecond, since the driver's own counter is shared by the process and
 * wraps, and it draws a node and clock sequence once instead of for every id.
 */
export function createTimeIdGenerator(): (at?: number) => string {
  // A random node with the multicast bit set (RFC 9562 §6.10) and a random clock sequence.
  const node = randomBytes(6)
  node[0] = (node[0] as number) | 0x01
  const clockSequence = randomBytes(2)
  let lastMs = Number.NEGATIVE_INFINITY
  let lastTick = 0
  return (at = Date.now()) => {
    let ms = at
    let tick = 0
    if (ms <= lastMs) {
      ms = lastMs
      tick = lastTick + 1
      if (tick === ticksPerMs) {
        ms++
        tick = 0
      }
    }
    lastMs = ms
    lastTick = tick
    return types.TimeUuid.fromDate(new Date(ms), tick, node, clockSequence).toString()
  }
}

/** The process's generator: ids of one replica never collide or go back. */
export const newMessageId = createTimeIdGenerator()

export function newConversationId(): string {
  return randomUUID()
}

export function isTimeId(id: string): boolean {
  return TIME_ID.test(id)
}

export function isUuid(id: string): boolean {
  return UUID.test(id)
}

/** The 60-bit timestamp of a time id, in 100-ns intervals since the UUID epoch: its sort key. */
export function ticksOf(id: string): bigint {
  const { date, ticks } = types.TimeUuid.fromString(id).getDatePrecision()
  return (BigInt(date.getTime()) + uuidEpochOffsetMs) * BigInt(ticksPerMs) + BigInt(ticks)
}

/** When a time id was made, in Unix milliseconds. */
export function timeOf(id: string): number {
  return types.TimeUuid.fromString(id).getDate().getTime()
}

/** The Cassandra partition bucket of a message: its time divided into `bucketMs` spans. */
export function bucketOf(id: string, bucketMs: number): number {
  return Math.floor(timeOf(id) / bucketMs)
}
