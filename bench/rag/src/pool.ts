/** Runs `task(i)` for i in 0..count-1, at most `limit` at once. */
export async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await task(i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
}
