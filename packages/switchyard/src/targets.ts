import { adminService } from '@switchyard/admin'
import { agentService } from '@switchyard/agent'
import { chatService } from '@switchyard/chat'
import { gatewayService } from '@switchyard/gateway'
import { llmRouterService } from '@switchyard/llm-router'
import { ragService, ragWorkerService } from '@switchyard/rag'
import type { ServiceRegistry } from '@switchyard/runtime'

/**
 * The whole architecture on one screen: every service Switchyard can start, by name. `switchyard start`
 * (all) registers each of them in one process; `--target=<name>` starts one. A new service adds one
 * line here (`chat: chatService,`) and nothing in the runtime changes. Nothing imports this package:
 * services never see each other; only this registry sees them all.
 */
export const services = {
  gateway: gatewayService,
  'llm-router': llmRouterService,
  chat: chatService,
  agent: agentService,
  rag: ragService,
  'rag-worker': ragWorkerService,
  admin: adminService,
} satisfies ServiceRegistry
