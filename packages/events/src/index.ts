export { type ReplayDlqOptions, type ReplayDlqReport, replayDeadLetters, replayGroup } from './dlq-replay.ts'
export { newEventId } from './envelope.ts'
export {
  BusClosedError,
  DeadLetter,
  dlqTopic,
  type EventBus,
  type EventEnvelope,
  type EventHandler,
  EventValidationError,
  type Subscription,
  type TraceContextHooks,
} from './event-bus.ts'
export { eventSigningKey, eventVerifyKey, signEventData, verifyEventData } from './event-signature.ts'
export type { RetryPolicy } from './handler-retry.ts'
export { createInProcessBus, type InProcessBusOptions } from './in-process-bus.ts'
export { createKafkaBus, type KafkaBusOptions, type KafkaConsumerOptions } from './kafka-bus.ts'
export { createOutboxRelay, type OutboxDb, type OutboxRelay, type OutboxTable } from './outbox-relay.ts'
export { isTransientFailure } from './transient-failure.ts'
