import { scopes } from '@switchyard/contracts'

/** What reading and changing an org's tools takes. */
export const toolScopes = { read: [scopes.llmUse], write: [scopes.llmUse] }
