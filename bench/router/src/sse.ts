// Timing server-sent event streams as a client sees them: the first content delta (time to first
// token), the gaps between deltas and the whole answer. Shared by the benches that stream.

/** Times the content deltas of an SSE response: `isDelta` picks them from the `data` of each event. */
export async function timeStream(
  res: Response,
  sentAt: number,
  isDelta: (event: string | undefined, data: string) => boolean,
): Promise<{ ttft: number; gaps: number[]; total: number; deltas: number }> {
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  let first = Number.NaN
  let previous = Number.NaN
  const gaps: number[] = []
  let deltas = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    const now = performance.now()
    buffer += value
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event: string | undefined
      const data: string[] = []
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      }
      if (data.length === 0 || !isDelta(event, data.join('\n'))) continue
      deltas++
      if (Number.isNaN(first)) first = now
      else gaps.push(now - previous)
      previous = now
    }
  }
  return { ttft: first - sentAt, gaps, total: performance.now() - sentAt, deltas }
}

/** A content delta of an OpenAI chat stream (the role chunk before it has none). */
export const routerDelta = (_event: string | undefined, data: string) => {
  if (data === '[DONE]') return false
  const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }
  return Boolean(chunk.choices?.[0]?.delta?.content)
}
/** A content delta of chat's own stream. */
export const chatDelta = (event: string | undefined) => event === 'message.delta'
