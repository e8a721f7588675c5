import { createServiceError } from '@switchyard/kit'

/**
 * The tools' error codes (the agent's `AGENT_ERR_*` family; its general ones, such as
 * AGENT_ERR_INVALID_SCHEMA, are in ../errors.ts). Another org's tool or server is not found.
 */
export const toolErrors = {
  HttpToolNotFound: createServiceError<'AGENT_ERR_HTTP_TOOL_NOT_FOUND', [string]>(
    'AGENT_ERR_HTTP_TOOL_NOT_FOUND',
    'No such HTTP tool: %s',
    404,
  ),
  McpServerNotFound: createServiceError<'AGENT_ERR_MCP_SERVER_NOT_FOUND', [string]>(
    'AGENT_ERR_MCP_SERVER_NOT_FOUND',
    'No such MCP server: %s',
    404,
  ),
  /** A tool or server name the org already uses, or a built-in's name. */
  ToolExists: createServiceError<'AGENT_ERR_TOOL_EXISTS', [string]>(
    'AGENT_ERR_TOOL_EXISTS',
    'A tool named %s already exists',
    409,
  ),
  /** A secret reference the deployment does not define for the org, or not for that endpoint. */
  InvalidSecret: createServiceError<'AGENT_ERR_INVALID_SECRET', [string]>(
    'AGENT_ERR_INVALID_SECRET',
    '%s',
    400,
  ),
  /** Registering an MCP server lists its tools first; this one did not answer, or is refused. */
  McpServerUnreachable: createServiceError<'AGENT_ERR_MCP_SERVER_UNREACHABLE', [string, string]>(
    'AGENT_ERR_MCP_SERVER_UNREACHABLE',
    'The MCP server at %s did not list its tools: %s',
    400,
  ),
  /** An http_fetch allow-list entry that is not `http(s)://host[:port]`. */
  InvalidAllowEntry: createServiceError<'AGENT_ERR_INVALID_ALLOW_ENTRY', [string]>(
    'AGENT_ERR_INVALID_ALLOW_ENTRY',
    'Not an allow-list entry (http(s)://host[:port], host may start with *.): %s',
    400,
  ),
}
