// Shared by the kit's own tests (not exported): a server with a fresh key pair, registry and a
// logger whose lines the test can read. Not @switchyard/testing's harness: that package depends on
// the kit (and the runtime above it), so the kit using it would make a workspace cycle; hence its
// own alice too.
import type { Identity } from '@switchyard/contracts'
import { createMemoryState } from '@switchyard/state'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { onTestFinished } from 'vitest'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  generateInternalKeyPair,
} from './identity/internal-token.ts'
import { type CreateServerOptions, createServer } from './server/create-server.ts'
import type { ServiceContext } from './service-definition.ts'

export const alice: Identity = {
  orgId: 'org_acme',
  userId: 'user_alice',
  keyId: 'key_1',
  scopes: ['chat:write'],
}

export async function testServer(options: Partial<CreateServerOptions> = {}) {
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const logLines: Record<string, unknown>[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) })
  const metrics = new Registry()
  const app = await createServer({
    name: 'chat',
    logger,
    metrics,
    identity: createInternalTokenVerifier({ publicKey: keys.publicKey }),
    ...options,
  })
  onTestFinished(() => app.close())
  return {
    app,
    keys,
    signer,
    metrics,
    logLines,
    /** Headers of a request the gateway forwarded for `identity`. */
    async asUser(identity: Identity = alice): Promise<Record<string, string>> {
      return { authorization: `Bearer ${await signer.sign(identity)}` }
    },
  }
}

/** A ServiceContext for plugins under test; the kit's tests never publish, so the bus refuses. */
export function testContext<Config>(
  config: Config,
  logger = pino({ level: 'silent' }),
): ServiceContext<Config> {
  const unused = () => Promise.reject(new Error('the kit tests do not use the event bus'))
  return {
    config,
    logger,
    metrics: new Registry(),
    bus: { publish: unused, subscribe: unused, ready: async () => true, close: async () => {} },
    state: createMemoryState(),
    serviceUrl: (name) => `http://${name}.invalid`,
    dispatcher: new Agent(),
    now: Date.now,
  }
}
