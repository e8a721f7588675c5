// The scopes a caller's identity carries, and what each role gets by default. Every service checks
// the scopes its routes declare (the kit's hook, with kit's grantsScope); admin checks its own two
// and the role.

/** Every scope an API key or a session may carry. `x:*` on a key covers every `x:` scope. */
export const scopes = {
  /** Models: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models` at the llm-router (spends). */
  llmUse: 'llm:use',
  /** Reading conversations and messages at chat. */
  chatRead: 'chat:read',
  /** Creating and changing conversations, and generating answers (spends through the router). */
  chatWrite: 'chat:write',
  /** Reading files, vector stores and searching them at rag. */
  filesRead: 'files:read',
  /** Uploading and deleting files, changing vector stores, asking for answers at rag. */
  filesWrite: 'files:write',
  /** The admin API's reads (and the role still applies). */
  adminRead: 'admin:read',
  /** The admin API's writes (and the role still applies). */
  adminWrite: 'admin:write',
} as const
export type Scope = (typeof scopes)[keyof typeof scopes]

const readScopes: readonly Scope[] = [scopes.chatRead, scopes.filesRead, scopes.adminRead]
const allScopes: readonly Scope[] = Object.values(scopes)

/**
 * The scopes of a credential that names none (a key made without a `scopes` list, an OIDC
 * session), by the member's role: a viewer reads and spends nothing, every other role gets every
 * scope. The role still limits what admin lets them do.
 */
export const roleScopes: Readonly<Record<'viewer' | 'member' | 'admin' | 'owner', readonly Scope[]>> = {
  viewer: readScopes,
  member: allScopes,
  admin: allScopes,
  owner: allScopes,
}
