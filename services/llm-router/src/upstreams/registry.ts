import { ollamaProvider } from './ollama/index.ts'
import { openaiProvider } from './openai/index.ts'
import type { Provider } from './provider.ts'

/**
 * Every kind of upstream, by the name a catalog's `provider` field uses. A plain object: adding a
 * provider is one folder and one line here. `local` (node-llama-cpp) joins when its folder lands.
 */
export const providers = {
  openai: openaiProvider,
  ollama: ollamaProvider,
} satisfies Record<string, Provider>

export type ProviderRegistry = Readonly<Record<string, Provider>>
