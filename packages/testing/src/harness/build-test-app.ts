import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Identity, ServiceName } from '@switchyard/contracts'
import { createInternalTokenSigner, generateInternalKeyPair, type KitServer } from '@switchyard/kit'
import { type ServiceRegistry, type Switchyard, start } from '@switchyard/runtime'
import { alice } from './identities.ts'

export interface TestAppOptions {
  /** The services under test and the stand-ins of the others, by name. */
  services: ServiceRegistry
  /**
   * Config keys, the runtime's and the services'. The data dir, the log level (TEST_LOG_LEVEL,
   * default silent) and the internal token keys are set here unless given.
   */
  env?: Record<string, string>
  /**
   * 'all' (default): one process on embedded backends (PGlite, the in-process bus, memory state).
   * A service name: that service alone as a pod runs it, on the real backends `env` names.
   */
  target?: string
  /** The listener on a free loopback port (`url`); default false, for inject only. */
  listen?: boolean
  /** Every service's `ctx.now`: pass a `fakeClock().now` to move time instead of waiting. Default Date.now. */
  now?: () => number
}

/** Headers of a request the gateway forwarded: an internal token for the caller. */
export type AuthHeaders = { authorization: string }

export interface TestApp {
  switchyard: Switchyard
  /** The listener's origin: real with `listen`, else the one it would use. */
  url: string
  /** A service's own server, for `inject` past the listener. */
  app(name: ServiceName): KitServer
  /**
   * A service's own server on a free loopback port, as it listens when it runs alone: for tests
   * whose client must really disconnect. Started on first use.
   */
  serve(name: ServiceName): Promise<string>
  /** The headers of a request the gateway forwarded for `identity` (default alice). */
  headers(identity?: Identity): Promise<AuthHeaders>
  /** Closes the app, then removes its data dir. */
  close(): Promise<void>
}

/**
 * The services of a test, through the runtime's own `start` (the `switchyard start` path), minus
 * the listener unless asked. The internal token keys are the test's, so `headers()` can sign for
 * any identity.
 */
export async function buildTestApp(options: TestAppOptions): Promise<TestApp> {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-test-'))
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  let switchyard: Switchyard
  try {
    switchyard = await start({
      ...(options.target !== undefined && { target: options.target }),
      services: options.services,
      env: {
        SWITCHYARD_DATA_DIR: join(root, 'data'),
        SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        SWITCHYARD_HOST: '127.0.0.1',
        SWITCHYARD_PORT: '0',
        INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
        INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
        ...options.env,
      },
      homeDir: root,
      listen: options.listen ?? false,
      ...(options.now !== undefined && { now: options.now }),
    })
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }
  const served = new Map<ServiceName, Promise<string>>()
  const app = (name: ServiceName): KitServer => {
    const own = switchyard.apps[name]
    if (own === undefined) throw new Error(`${name} is not in this test app's registry`)
    return own
  }
  return {
    switchyard,
    url: switchyard.url,
    app,
    serve(name) {
      let url = served.get(name)
      if (url === undefined) {
        const own = app(name)
        url =
          own === switchyard.app && options.listen
            ? Promise.resolve(switchyard.url)
            : own.listen({ port: 0, host: '127.0.0.1' }).then(() => {
                const address = own.server.address()
                return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
              })
        served.set(name, url)
      }
      return url
    },
    headers: async (identity = alice) => ({ authorization: `Bearer ${await signer.sign(identity)}` }),
    async close() {
      await switchyard.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}
