import { defineService } from '@switchyard/kit'
import { GatewayConfig } from './config.ts'
import { gatewayPlugin } from './plugin.ts'
import { routedServices } from './routing/route-table.ts'

export const gatewayService = defineService({
  name: 'gateway',
  configSchema: GatewayConfig,
  // Every service a public route leads to (src/routing/route-table.ts); admin also resolves keys.
  calls: routedServices,
  // bus: admin.config.v1 (key revocations); state: rate-limit counters shared by replicas.
  needs: ['bus', 'state'],
  // It mints the internal token every other service verifies.
  signsInternalTokens: true,
  plugin: gatewayPlugin,
})
