import { agentErrorCodes } from '@switchyard/contracts'
import { createServiceError } from '@switchyard/kit'

/**
 * The agent service's error codes. A code is stable: clients branch on it, the message is for
 * people. Another org's agent, run or approval is "not found", never "forbidden": a caller must
 * not learn that an id exists elsewhere.
 */
export const agentErrors = {
  AgentNotFound: createServiceError<typeof agentErrorCodes.AgentNotFound, [string]>(
    agentErrorCodes.AgentNotFound,
    'No such agent: %s',
    404,
  ),
  RunNotFound: createServiceError<typeof agentErrorCodes.RunNotFound, [string]>(
    agentErrorCodes.RunNotFound,
    'No such run: %s',
    404,
  ),
  ApprovalNotFound: createServiceError<'AGENT_ERR_APPROVAL_NOT_FOUND', [string, string]>(
    'AGENT_ERR_APPROVAL_NOT_FOUND',
    'No pending approval for tool call %s in run %s',
    404,
  ),
  /** An agent names a tool no source of its org provides. */
  UnknownTool: createServiceError<'AGENT_ERR_UNKNOWN_TOOL', [string]>(
    'AGENT_ERR_UNKNOWN_TOOL',
    'Unknown tool: %s',
    400,
  ),
  /** A planner names a delegate the org has no agent for (when written, or when a run starts). */
  UnknownDelegate: createServiceError<'AGENT_ERR_UNKNOWN_DELEGATE', [string]>(
    'AGENT_ERR_UNKNOWN_DELEGATE',
    'No agent %s to delegate to',
    400,
  ),
  /** `output_schema` (or a tool's parameters) is not a JSON Schema ajv can compile. */
  InvalidSchema: createServiceError<'AGENT_ERR_INVALID_SCHEMA', [string]>(
    'AGENT_ERR_INVALID_SCHEMA',
    'The JSON schema does not compile: %s',
    400,
  ),
  /** A request that passed its schema but breaks a rule. */
  InvalidRequest: createServiceError<'AGENT_ERR_INVALID_REQUEST', [string]>(
    'AGENT_ERR_INVALID_REQUEST',
    '%s',
    400,
  ),
  /** An agent name the org already uses. */
  AgentExists: createServiceError<'AGENT_ERR_AGENT_EXISTS', [string]>(
    'AGENT_ERR_AGENT_EXISTS',
    'An agent named %s already exists',
    409,
  ),
  /** The run is not in a state that allows this (cancelling a finished run, approving twice). */
  RunStateConflict: createServiceError<'AGENT_ERR_RUN_STATE', [string, string]>(
    'AGENT_ERR_RUN_STATE',
    'Run %s is %s',
    409,
  ),
  /** Admin did not resolve the agent's prompt reference (not there, or admin did not answer). */
  PromptUnavailable: createServiceError<'AGENT_ERR_PROMPT_UNAVAILABLE', [string, string]>(
    'AGENT_ERR_PROMPT_UNAVAILABLE',
    "The agent's prompt %s could not be resolved: %s",
    502,
  ),
  /** The org has no agent to run the message with. */
  NoAgent: createServiceError(agentErrorCodes.NoAgent, 'The org has no agent: create one first', 400),
  /** The runtime gave the plugin no SQL pool. */
  NoSql: createServiceError('AGENT_ERR_NO_SQL', 'agent needs a SQL pool (pg.Pool)', 500),
}

export type AgentErrorCode = InstanceType<(typeof agentErrors)[keyof typeof agentErrors]>['code']
