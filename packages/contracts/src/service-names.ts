/** The six services, by the one kebab-case name each carries everywhere. */
export const serviceNames = ['gateway', 'llm-router', 'chat', 'agent', 'rag', 'admin'] as const
export type ServiceName = (typeof serviceNames)[number]
