import { type TString, Type } from 'typebox'

export interface UrlOptions {
  /** Accepted schemes (default http and https), e.g. ['postgres', 'postgresql'] or ['redis', 'rediss']. */
  protocols?: readonly string[]
  default?: string
  description?: string
}

/** An absolute URL config key with one of the given schemes and a host. */
export function Url(options: UrlOptions = {}): TString {
  const { protocols = ['http', 'https'], ...rest } = options
  const schemes = protocols.map((p) => p.replace(/[^a-z0-9+.-]/gi, '')).join('|')
  return Type.String({ ...rest, format: 'uri', pattern: `^(?:${schemes})://[^\\s/?#]+` })
}
