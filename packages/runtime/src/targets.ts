import { adminService } from '@switchyard/admin'
import { chatService } from '@switchyard/chat'
import type { ServiceName } from '@switchyard/contracts'
import { gatewayService } from '@switchyard/gateway'
import type { ServiceDefinition } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'

/**
 * The whole architecture on one screen: every service the runtime can start, by name. `switchyard start`
 * (all) registers each of them in one process; `--target=<name>` starts one. A new service adds one
 * line here (`chat: chatService,`) and nothing else in the runtime changes.
 */
export const services = {
  gateway: gatewayService,
  'llm-router': llmRouterService,
  chat: chatService,
  admin: adminService,
} satisfies Partial<Record<ServiceName, ServiceDefinition>>

/** The registry's shape as the planner sees it: any subset of the six services. */
export type ServiceRegistry = Partial<Record<ServiceName, ServiceDefinition>>
