import { Type } from 'typebox'

/** The tenant; every tenant event carries it so consumers can filter and partition on it. */
export const OrgId = Type.String({ minLength: 1 })
export const Id = Type.String({ minLength: 1 })
/** ISO 8601 date-time with offset, e.g. 2025-01-31T12:00:00.000Z. */
export const Timestamp = Type.String({ format: 'date-time' })
