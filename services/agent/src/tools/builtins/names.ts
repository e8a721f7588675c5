/** The built-in tools' names: an org tool may not take one. */
export const builtinToolNames: readonly string[] = ['calculator', 'current_time', 'rag_search', 'http_fetch']
