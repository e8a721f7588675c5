/**
 * Config values as the environment spells them (lists comma-separated, objects as JSON), for a
 * test that states a service's config with its schema's types and starts it through buildTestApp,
 * which reads config from the environment as production does.
 */
export function asEnv(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue
    env[key] = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : String(value)
  }
  return env
}
