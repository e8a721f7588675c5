import type { Topic } from '@switchyard/contracts'
import type { IHeaders, KafkaMessage } from 'kafkajs'
import { assertPayload, isEnvelope } from './envelope.ts'
import { type EventEnvelope, EventValidationError } from './event-bus.ts'
import type { OutboxRecord } from './outbox.ts'

/** Headers every event carries, so tools can route and trace without parsing the value. */
export const HEADER_EVENT_ID = 'event-id'
export const HEADER_EVENT_TYPE = 'event-type'
export const HEADER_EVENT_TIME = 'event-time'
export const HEADER_PRODUCER = 'producer'

/** The Kafka message for an envelope: JSON value, the envelope's key as the message key. */
export function encodeEvent(
  envelope: EventEnvelope,
  producer: string,
  extra: Record<string, string>,
): OutboxRecord {
  return {
    topic: envelope.type,
    key: envelope.key,
    value: JSON.stringify(envelope),
    headers: {
      ...extra,
      'content-type': 'application/json',
      [HEADER_EVENT_ID]: envelope.id,
      [HEADER_EVENT_TYPE]: envelope.type,
      [HEADER_EVENT_TIME]: envelope.time,
      [HEADER_PRODUCER]: producer,
    },
  }
}

export function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) result[name] = first.toString()
  }
  return result
}

export type Decoded =
  | { ok: true; envelope: EventEnvelope }
  | { ok: false; error: Error; eventId: string | null; event: unknown }

/** Parses and validates a consumed message against its topic; never throws. */
export function decodeEvent(topic: Topic, message: KafkaMessage, headers: Record<string, string>): Decoded {
  const text = message.value?.toString('utf8') ?? ''
  const headerId = headers[HEADER_EVENT_ID] ?? null
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return {
      ok: false,
      error: new EventValidationError(topic.name, ['value is not JSON']),
      eventId: headerId,
      event: text,
    }
  }
  if (!isEnvelope(parsed)) {
    return {
      ok: false,
      error: new EventValidationError(topic.name, ['value is not an event envelope']),
      eventId: headerId,
      event: parsed,
    }
  }
  try {
    assertPayload(topic, parsed.data)
  } catch (error) {
    return { ok: false, error: error as Error, eventId: parsed.id, event: parsed }
  }
  return { ok: true, envelope: parsed }
}
