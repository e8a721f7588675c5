import type { OpenAIConnection } from './connection.ts'

/** `GET /models`: the names the upstream serves (the active probe). */
export async function listModels(connection: OpenAIConnection, signal: AbortSignal): Promise<string[]> {
  const list = (await connection.getJson('/models', signal)) as { data?: { id?: unknown }[] }
  return (list.data ?? []).flatMap((model) => (typeof model.id === 'string' ? [model.id] : []))
}
