import { fileURLToPath } from 'node:url'
import { defineService } from '@switchyard/kit'
import { AdminConfig } from './config.ts'
import { adminPlugin } from './plugin.ts'

export const adminService = defineService({
  name: 'admin',
  configSchema: AdminConfig,
  // It calls no other service: the gateway calls it (key resolve), the llm-router reads its
  // catalog and sends it usage over the bus.
  calls: [],
  // sql: everything it owns; bus: llm.usage.v1 in, admin.config.v1 out.
  needs: ['sql', 'bus'],
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  plugin: adminPlugin,
})
