// The search route's schemas are rag's contract with its callers (the agent's rag_search tool).
export {
  SearchFilter,
  SearchParams,
  SearchRequest,
  SearchResult,
  SearchResultsPage,
} from '@switchyard/contracts'
