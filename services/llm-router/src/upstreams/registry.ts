import { lazyProvider } from './lazy.ts'
import { downloadOptionIssues } from './local/options.ts'
import { ollamaProvider } from './ollama/index.ts'
import { openaiProvider } from './openai/index.ts'
import type { Provider } from './provider.ts'

/**
 * Every kind of upstream, by the name a catalog's `provider` field uses. A plain object: adding a
 * provider is one folder and one line here.
 */
export const providers = {
  openai: openaiProvider,
  ollama: ollamaProvider,
  // A GGUF model in this process (node-llama-cpp), loaded on first use.
  local: lazyProvider(
    'local',
    false,
    async () => (await import('./local/index.ts')).localProvider,
    downloadOptionIssues,
  ),
} satisfies Record<string, Provider>

export type ProviderRegistry = Readonly<Record<string, Provider>>
