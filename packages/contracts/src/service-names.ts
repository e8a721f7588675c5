/**
 * The six services, by the one kebab-case name each carries everywhere, and rag's ingestion
 * worker, which runs as a target of its own (`--target=rag-worker`) from rag's code.
 */
export const serviceNames = ['gateway', 'llm-router', 'chat', 'agent', 'rag', 'rag-worker', 'admin'] as const
export type ServiceName = (typeof serviceNames)[number]
