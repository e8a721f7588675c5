import { randomBytes, randomInt, randomUUID } from 'node:crypto'

/**
 * Message ids are version-1 (time) UUIDs, Cassandra's `timeuuid`: they sort by creation time, so
 * both stores page newest-first on the id alone, and the Cassandra store derives a message's
 * partition (time bucket) from it. Conversation ids are random (v4) UUIDs.
 */

/** 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch. */
const UUID_EPOCH_OFFSET = 122_192_928_000_000_000n
const TIME_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const hex = (value: bigint | number, digits: number) => value.toString(16).padStart(digits, '0')

/** Makes time ids, strictly increasing within this generator even inside one millisecond. */
export function createTimeIdGenerator(): (at?: number) => string {
  // A random node with the multicast bit set (RFC 9562 §6.10) and a random clock sequence.
  const node = randomBytes(6)
  node[0] = (node[0] as number) | 0x01
  const nodeHex = node.toString('hex')
  const clockSeq = hex(0x8000 | randomInt(0, 0x4000), 4)
  let last = 0n
  return (at = Date.now()) => {
    let ticks = BigInt(at) * 10_000n + UUID_EPOCH_OFFSET
    if (ticks <= last) ticks = last + 1n
    last = ticks
    const low = ticks & 0xffff_ffffn
    const mid = (ticks >> 32n) & 0xffffn
    const high = ((ticks >> 48n) & 0x0fffn) | 0x1000n
    return `${hex(low, 8)}-${hex(mid, 4)}-${hex(high, 4)}-${clockSeq}-${nodeHex}`
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
  const [low = '', mid = '', high = ''] = id.split('-')
  return (BigInt(`0x${high}`) & 0x0fffn) * 2n ** 48n + BigInt(`0x${mid}`) * 2n ** 32n + BigInt(`0x${low}`)
}

/** When a time id was made, in Unix milliseconds. */
export function timeOf(id: string): number {
  return Number((ticksOf(id) - UUID_EPOCH_OFFSET) / 10_000n)
}

/** The Cassandra partition bucket of a message: its time divided into `bucketMs` spans. */
export function bucketOf(id: string, bucketMs: number): number {
  return Math.floor(timeOf(id) / bucketMs)
}
