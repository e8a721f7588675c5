import { type RagClient, ragErrorCodes } from '@switchyard/contracts'
import { type Tool, ToolError } from '../tool.ts'

/** Results given to the model at most, whatever it asks: they fill its context. */
const maxResults = 20

/**
 * `rag_search`: searches a vector store at rag with the caller's token, so rag's own checks
 * decide: a user finds only stores (and so chunks) their org and the store's access list let
 * them read, exactly as through `/v1/vector_stores/{id}/search`.
 */
export function ragSearchTool(rag: RagClient): Tool {
  return {
    name: 'rag_search',
    description:
      "Searches a vector store of the organization's documents and returns the most relevant passages with their file names.",
    parameters: {
      type: 'object',
      properties: {
        vector_store_id: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          description: 'The vector store (vs_...)',
        },
        query: { type: 'string', minLength: 1, maxLength: 2000, description: 'What to look for' },
        max_num_results: { type: 'integer', minimum: 1, maximum: maxResults, description: 'Default 5' },
      },
      required: ['vector_store_id', 'query'],
      additionalProperties: false,
    },
    async call(args, ctx) {
      const { vector_store_id, query, max_num_results } = args as {
        vector_store_id: string
        query: string
        max_num_results?: number
      }
      const answer = await rag.search(
        vector_store_id,
        { query, max_num_results: max_num_results ?? 5 },
        { token: ctx.token, signal: ctx.signal },
      )
      if (!answer.ok) {
        if (answer.error?.code === ragErrorCodes.VectorStoreNotFound) {
          throw new ToolError(`no vector store ${vector_store_id} that you may read`)
        }
        throw new ToolError(`search failed (${answer.status}): ${answer.error?.message ?? 'no answer'}`)
      }
      return {
        results: answer.body.data.map((hit) => ({
          file_id: hit.file_id,
          filename: hit.filename,
          score: hit.score,
          text: hit.content.map((part) => part.text).join('\n'),
        })),
      }
    },
  }
}
