/**
 * Callers see the alias they asked for in `model`, not the upstream's name. Rewriting is a string
 * replacement of the compact `"model":"<name>"` pair that OpenAI, vLLM and Ollama emit, so a
 * passed-through body is never parsed for it; null when the names match and nothing is to be done.
 */
export function modelRewriter(upstreamModel: string, alias: string): ((text: string) => string) | null {
  if (upstreamModel === alias) return null
  const needle = `"model":${JSON.stringify(upstreamModel)}`
  const replacement = `"model":${JSON.stringify(alias)}`
  return (text) => text.replaceAll(needle, replacement)
}

/** The same on bytes: latin1 maps each byte to one char and back, so UTF-8 content survives untouched. */
export function bytesRewriter(upstreamModel: string, alias: string): ((bytes: Buffer) => Buffer) | null {
  if (upstreamModel === alias) return null
  const needle = Buffer.from(`"model":${JSON.stringify(upstreamModel)}`).toString('latin1')
  const replacement = Buffer.from(`"model":${JSON.stringify(alias)}`).toString('latin1')
  const needleBytes = Buffer.from(needle, 'latin1')
  return (bytes) =>
    bytes.indexOf(needleBytes) === -1
      ? bytes
      : Buffer.from(bytes.toString('latin1').replaceAll(needle, replacement), 'latin1')
}
