export { adminScopes, catalogReadScope, type Role, resolveKeysScope, roles } from './access/roles.ts'
export {
  type BootstrapOptions,
  type BootstrapResult,
  bootstrapAdmin,
  bootstrapIfEmpty,
} from './bootstrap/bootstrap.ts'
export { bootstrapCommand, type CommandContext } from './bootstrap/command.ts'
export { keysCommand } from './bootstrap/keys-command.ts'
export { AdminConfig } from './config.ts'
export { type AdminErrorCode, adminErrors } from './errors.ts'
export { toCatalogSpec } from './models/catalog.ts'
export { adminPlugin } from './plugin.ts'
export { adminService } from './service.ts'
export { createUsageHandler, ledgerGroup } from './usage/consumer.ts'
