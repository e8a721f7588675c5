import { v7 as uuidv7 } from 'uuid'

/** The public id prefixes. */
export const idPrefix = { agent: 'agent_', run: 'run_' } as const

/**
 * A new id: the prefix and a UUIDv7 in hex. v7 starts with the time in milliseconds and is
 * monotonic within the process, so ids sort by creation under byte-order collation (COLLATE "C").
 */
export const newId = (kind: keyof typeof idPrefix): string => idPrefix[kind] + uuidv7().replaceAll('-', '')
