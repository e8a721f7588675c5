import { v7 as uuidv7 } from 'uuid'

const prefixes = { httpTool: 'htool_', mcpServer: 'mcp_' } as const

/** A new id: the prefix and a UUIDv7 in hex, so ids sort by creation (the tables use COLLATE "C"). */
export function newId(kind: keyof typeof prefixes): string {
  return prefixes[kind] + uuidv7().replaceAll('-', '')
}
