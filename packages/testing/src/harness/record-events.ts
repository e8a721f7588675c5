import type { Topic } from '@switchyard/contracts'
import type { EventBus, EventEnvelope } from '@switchyard/events'
import type { Static, TSchema } from 'typebox'

/**
 * A stand-in consumer: every event of `topic` the bus delivers from now on, in arrival order, in
 * the array it returns. Its own group, so it takes nothing from the real consumers.
 */
export async function recordEvents<S extends TSchema>(
  bus: EventBus,
  topic: Topic<S>,
  group = `test.record.${topic.name}`,
): Promise<EventEnvelope<Static<S>>[]> {
  const events: EventEnvelope<Static<S>>[] = []
  await bus.subscribe(topic, group, async (event) => {
    events.push(event)
  })
  return events
}
