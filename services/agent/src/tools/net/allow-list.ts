/**
 * An org's allow-list for `http_fetch`: entries `scheme://host[:port]`, where the host may start
 * with `*.` for its subdomains (not the domain itself). Only http and https exist; no entry
 * means nothing may be fetched.
 */
export interface AllowList {
  /** Why `url` is not allowed, or null when it is. */
  refusal(url: URL): string | null
}

interface Entry {
  scheme: 'http:' | 'https:'
  host: string
  wildcard: boolean
  port: string
}

const entryPattern = /^(https?):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?\/?$/

/** Parses one entry; null when it is not `http(s)://host[:port]` with an optional `*.`. */
export function parseAllowEntry(text: string): Entry | null {
  const match = entryPattern.exec(text.trim().toLowerCase())
  if (match === null) return null
  const [, scheme, star, host, port] = match
  const defaultPort = scheme === 'https' ? '443' : '80'
  return {
    scheme: `${scheme}:` as Entry['scheme'],
    host: host as string,
    wildcard: star !== undefined,
    port: port ?? defaultPort,
  }
}

export function createAllowList(entries: readonly string[]): AllowList {
  const parsed = entries.flatMap((text) => parseAllowEntry(text) ?? [])
  return {
    refusal(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return `scheme ${url.protocol} is not fetched`
      if (url.username !== '' || url.password !== '') return 'URLs with credentials are not fetched'
      const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'
      const host = url.hostname
      const allowed = parsed.some(
        (entry) =>
          entry.scheme === url.protocol &&
          entry.port === port &&
          (entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host),
      )
      return allowed ? null : `${url.protocol}//${url.host} is not on the org's allow-list`
    },
  }
}
