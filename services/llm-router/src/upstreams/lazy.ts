import type { Provider, UpstreamClient } from './provider.ts'

/**
 * A provider whose module loads on the first call, not when the router starts: node-llama-cpp
 * (the local provider) takes seconds to import, which every start and every test would pay even
 * with no local deployment in the catalog.
 */
export function lazyProvider(
  name: string,
  needsBaseUrl: boolean,
  load: () => Promise<Provider>,
  optionIssues?: Provider['optionIssues'],
): Provider {
  let loading: Promise<Provider> | undefined
  const provider = () => {
    loading ??= load()
    return loading
  }
  return {
    name,
    needsBaseUrl,
    ...(optionIssues && { optionIssues }),
    createClient(deployment, context) {
      let client: Promise<UpstreamClient> | undefined
      const ready = () => {
        client ??= provider().then((p) => p.createClient(deployment, context))
        return client
      }
      const missing = (what: string) => new Error(`provider ${name} has no ${what}`)
      return {
        async chat(request, call) {
          const c = await ready()
          if (c.chat === undefined) throw missing('chat')
          return c.chat(request, call)
        },
        async chatStream(request, call) {
          const c = await ready()
          if (c.chatStream === undefined) throw missing('chatStream')
          return c.chatStream(request, call)
        },
        async embeddings(request, call) {
          const c = await ready()
          if (c.embeddings === undefined) throw missing('embeddings')
          return c.embeddings(request, call)
        },
        async listModels(signal) {
          const c = await ready()
          return c.listModels === undefined ? [] : c.listModels(signal)
        },
        async close() {
          if (client !== undefined) await (await client).close()
        },
      }
    },
  }
}
