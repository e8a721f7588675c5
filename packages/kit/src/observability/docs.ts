import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/**
 * OpenAPI 3.1 from the route schemas, at `GET /docs` (UI) and `GET /docs/json`. Must be registered
 * before any route so its onRoute hook sees them all.
 */
export async function installDocs(app: FastifyInstance, title: string, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title, version },
      components: {
        securitySchemes: { internalToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ internalToken: [] }],
    },
    // Public routes need no token: say so per operation.
    transform: ({ schema, url, route }) =>
      route.config?.public === true ? { schema: { ...schema, security: [] }, url } : { schema, url },
  })
  await app.register(async function docsRoutes(docs) {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true }
      route.logLevel = 'warn'
    })
    await docs.register(swaggerUi, { routePrefix: '/docs' })
  })
}
