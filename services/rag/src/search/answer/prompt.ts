import type OpenAI from 'openai'
import type { SearchHit } from '../search.ts'

/**
 * The messages for an answer from numbered sources. The citation format is one a parser can check:
 * the source's number and the exact words quoted from it.
 */
export function answerMessages(
  question: string,
  hits: readonly SearchHit[],
): OpenAI.ChatCompletionMessageParam[] {
  const sources = hits.map((hit, i) => `[${i + 1}] (${hit.filename})\n${hit.text}`).join('\n\n')
  return [
    {
      role: 'system',
      content:
        'Answer the question using only the numbered sources below. After each statement, cite the ' +
        'source it comes from as [n: "exact words copied from source n"]. Quote only words that ' +
        'appear in that source. If the sources do not answer the question, say so.\n\n' +
        `Sources:\n\n${sources}`,
    },
    { role: 'user', content: question },
  ]
}
