// The fast fake embedder of the speed half: a stand-in for the llm-router that answers
// `POST /v1/embeddings` in process with the fake upstreams' feature-hashing embedding (words shared
// means close in cosine distance), so ingestion measures rag's pipeline, not a model.
import { EmbeddingsRequest, scopes } from '@switchyard/contracts'
import { defineService } from '@switchyard/kit'
import { fakeEmbedding } from '@switchyard/testing'
import { Type } from 'typebox'

export const fakeDimensions = 384

export const fakeEmbedderService = defineService({
  name: 'llm-router',
  configSchema: Type.Object({}),
  calls: [],
  needs: [],
  plugin: async (app) => {
    app.post(
      '/v1/embeddings',
      { schema: { body: EmbeddingsRequest }, config: { scopes: [scopes.llmUse] } },
      async (request) => {
        const { input, model } = request.body
        const texts = typeof input === 'string' ? [input] : (input as unknown[]).map(String)
        return {
          object: 'list',
          model,
          data: texts.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: fakeEmbedding(text, fakeDimensions),
          })),
          usage: { prompt_tokens: 0, total_tokens: 0 },
        }
      },
    )
  },
})
