// The tests share one Kafka, and admin.config.v1 is compacted and read from its beginning: a router
// started there would adopt any catalog, route or budget another test's admin announced, as a router
// should adopt admin's. A router whose file catalog a test relies on verifies those events with a key
// whose private half nobody holds, so it refuses them all.
import { generateKeyPairSync } from 'node:crypto'

/** `LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY` for a router that must keep its own catalog and limits. */
export function ignoreSharedAdminConfig(): { LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: string } {
  const { publicKey } = generateKeyPairSync('ed25519')
  return { LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}
