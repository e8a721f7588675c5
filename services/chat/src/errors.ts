import { createServiceError } from '@switchyard/kit'

/** Chat's error codes. A code is stable: clients branch on it, the message is for people. */
export const chatErrors = {
  ConversationNotFound: createServiceError<'CHAT_ERR_CONVERSATION_NOT_FOUND', [string]>(
    'CHAT_ERR_CONVERSATION_NOT_FOUND',
    'Conversation %s not found',
    404,
  ),
  MessageNotFound: createServiceError<'CHAT_ERR_MESSAGE_NOT_FOUND', [string]>(
    'CHAT_ERR_MESSAGE_NOT_FOUND',
    'Message %s not found in this conversation',
    404,
  ),
  UnknownModel: createServiceError<'CHAT_ERR_UNKNOWN_MODEL', [string]>(
    'CHAT_ERR_UNKNOWN_MODEL',
    'Unknown model %s',
    400,
  ),
  ModelRequired: createServiceError(
    'CHAT_ERR_MODEL_REQUIRED',
    'model is required: no default model is configured',
    400,
  ),
  ModelsUnavailable: createServiceError<'CHAT_ERR_MODELS_UNAVAILABLE', [string]>(
    'CHAT_ERR_MODELS_UNAVAILABLE',
    'Cannot check model %s: the llm-router did not answer',
    503,
  ),
  EmptyMessage: createServiceError('CHAT_ERR_EMPTY_MESSAGE', 'The message is empty', 400),
  MessageTooLong: createServiceError<'CHAT_ERR_MESSAGE_TOO_LONG', [number, number]>(
    'CHAT_ERR_MESSAGE_TOO_LONG',
    'The message has %d characters; the limit is %d',
    400,
  ),
  ContextTooSmall: createServiceError<'CHAT_ERR_CONTEXT_TOO_SMALL', [number, string, number]>(
    'CHAT_ERR_CONTEXT_TOO_SMALL',
    'The message and system prompt need about %d tokens; model %s has room for %d',
    400,
  ),
  BadCursor: createServiceError('CHAT_ERR_BAD_CURSOR', 'The cursor is not one this list handed out', 400),
  BadPromptRef: createServiceError<'CHAT_ERR_BAD_PROMPT_REF', [string]>(
    'CHAT_ERR_BAD_PROMPT_REF',
    'Prompt reference %s is not of the form name@label',
    400,
  ),
  PromptConflict: createServiceError(
    'CHAT_ERR_PROMPT_CONFLICT',
    'Give either systemPrompt or prompt, not both',
    400,
  ),
  PromptNotFound: createServiceError<'CHAT_ERR_PROMPT_NOT_FOUND', [string]>(
    'CHAT_ERR_PROMPT_NOT_FOUND',
    'Prompt %s not found',
    400,
  ),
  PromptUnavailable: createServiceError<'CHAT_ERR_PROMPT_UNAVAILABLE', [string, string]>(
    'CHAT_ERR_PROMPT_UNAVAILABLE',
    'Cannot resolve prompt %s: %s',
    503,
  ),
  BadParent: createServiceError<'CHAT_ERR_BAD_PARENT', [string]>(
    'CHAT_ERR_BAD_PARENT',
    'Message %s is not in this conversation',
    400,
  ),
  WrongRole: createServiceError<'CHAT_ERR_WRONG_ROLE', [string, string]>(
    'CHAT_ERR_WRONG_ROLE',
    'Only %s messages can be %s',
    400,
  ),
  GenerationInProgress: createServiceError<'CHAT_ERR_GENERATION_IN_PROGRESS', [string]>(
    'CHAT_ERR_GENERATION_IN_PROGRESS',
    'Message %s is still being generated: stop it or wait for it',
    409,
  ),
  BadLastEventId: createServiceError<'CHAT_ERR_BAD_LAST_EVENT_ID', [string]>(
    'CHAT_ERR_BAD_LAST_EVENT_ID',
    'Last-Event-ID %s does not name an event of this message (expected <messageId>:<sequence>)',
    400,
  ),
  StoreUnavailable: createServiceError(
    'CHAT_ERR_STORE_UNAVAILABLE',
    'The chat history cannot be written now: too few of its replicas are up',
    503,
  ),
  TooManyGenerations: createServiceError<'CHAT_ERR_TOO_MANY_GENERATIONS', [number]>(
    'CHAT_ERR_TOO_MANY_GENERATIONS',
    'You have %d answers being generated; wait for one to finish or stop it',
    429,
  ),
  RouterTimeout: createServiceError<'CHAT_ERR_ROUTER_TIMEOUT', [number]>(
    'CHAT_ERR_ROUTER_TIMEOUT',
    'The llm-router did not answer within %d ms',
    504,
  ),
  AdminTimeout: createServiceError<'CHAT_ERR_ADMIN_TIMEOUT', [number]>(
    'CHAT_ERR_ADMIN_TIMEOUT',
    'The admin service did not answer within %d ms',
    504,
  ),
  UnknownAgent: createServiceError<'CHAT_ERR_UNKNOWN_AGENT', [string]>(
    'CHAT_ERR_UNKNOWN_AGENT',
    'Unknown agent %s',
    400,
  ),
  /** A model and an agent named together, or a system prompt or model change for an agent's conversation. */
  AgentConflict: createServiceError<'CHAT_ERR_AGENT_CONFLICT', [string]>(
    'CHAT_ERR_AGENT_CONFLICT',
    '%s',
    400,
  ),
  /** agent refused to start the run for a reason of its own (its code and message follow). */
  AgentRefused: createServiceError<'CHAT_ERR_AGENT_REFUSED', [string, string]>(
    'CHAT_ERR_AGENT_REFUSED',
    'agent refused the run (%s): %s',
    400,
  ),
  AgentUnavailable: createServiceError<'CHAT_ERR_AGENT_UNAVAILABLE', [string]>(
    'CHAT_ERR_AGENT_UNAVAILABLE',
    'agent did not answer: %s',
    503,
  ),
  AgentTimeout: createServiceError<'CHAT_ERR_AGENT_TIMEOUT', [number]>(
    'CHAT_ERR_AGENT_TIMEOUT',
    'agent did not answer within %d ms',
    504,
  ),
  StreamExpired: createServiceError<'CHAT_ERR_STREAM_EXPIRED', [string]>(
    'CHAT_ERR_STREAM_EXPIRED',
    'The events of message %s are no longer kept; read the message instead',
    410,
  ),
}

/** In-band codes: they end a stream (`error` event) and are stored on the message, never thrown. */
export const chatStreamCodes = {
  /** The upstream failed without a code of its own. */
  upstream: 'CHAT_ERR_UPSTREAM',
  /** The replica running the generation shut down or vanished. */
  interrupted: 'CHAT_ERR_GENERATION_INTERRUPTED',
  /** CHAT_GENERATION_TIMEOUT_MS passed. */
  timeout: 'CHAT_ERR_GENERATION_TIMEOUT',
  /** The llm-router did not answer the generation's request within CHAT_ROUTER_TIMEOUT_MS. */
  routerTimeout: 'CHAT_ERR_ROUTER_TIMEOUT',
  /** agent stopped answering while an agent's run was relayed (the run may go on: read it there). */
  agentUnavailable: 'CHAT_ERR_AGENT_UNAVAILABLE',
} as const
