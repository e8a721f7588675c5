// The container's health check (docker-compose, `docker run --health-cmd`): exits 0 when the
// service's /readyz (or the path given) answers 2xx. The image has no curl or wget; Node has fetch.
//   node /app/healthcheck.js [/healthz]
const path = process.argv[2] ?? '/readyz'
const port = process.env.SWITCHYARD_PORT ?? '8080'
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) })
  process.exit(res.ok ? 0 : 1)
} catch {
  process.exit(1)
}
