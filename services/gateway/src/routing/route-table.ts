import type { ServiceName } from '@switchyard/contracts'

/** One public path (or path prefix) and the service that answers it. */
export interface RouteEntry {
  /** The public path, as the service itself serves it (the gateway never rewrites paths). */
  path: string
  /** true: the path and everything under it (`/v1/conversations/abc/messages`). */
  subtree: boolean
  /** null: not public (service-to-service routes); answers 404 as an unknown path does. */
  service: ServiceName | null
}

/**
 * Every public path and who answers it: the gateway's whole routing, as data. A service that does
 * not run (yet) answers 503. Methods are not listed: the service answers 404/405 for what it lacks.
 */
export const routeTable: readonly RouteEntry[] = [
  { path: '/v1/chat/completions', subtree: false, service: 'llm-router' },
  { path: '/v1/embeddings', subtree: false, service: 'llm-router' },
  { path: '/v1/models', subtree: true, service: 'llm-router' },
  { path: '/v1/conversations', subtree: true, service: 'chat' },
  { path: '/v1/agents', subtree: true, service: 'agent' },
  { path: '/v1/runs', subtree: true, service: 'agent' },
  { path: '/v1/files', subtree: true, service: 'rag' },
  { path: '/v1/vector_stores', subtree: true, service: 'rag' },
  { path: '/v1/prompts', subtree: true, service: 'admin' },
  { path: '/admin/v1', subtree: true, service: 'admin' },
  { path: '/admin/v1/internal', subtree: true, service: null },
]

/** The services the gateway forwards to: its `calls` in the call graph. */
export const routedServices: readonly ServiceName[] = [
  ...new Set(routeTable.flatMap((entry) => (entry.service === null ? [] : [entry.service]))),
]
