/** OpenAI's list body for a page of objects with ids: `first_id`/`last_id` are null when it is empty. */
export function listOf<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  }
}
