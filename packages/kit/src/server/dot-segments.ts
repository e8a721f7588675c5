/** Decoding rounds before a path still changing is taken as an attempt to hide something. */
const maxDecodeRounds = 4

/**
 * Whether a request path holds a `.` or `..` segment in any spelling: raw, percent-encoded in any
 * case (`%2e%2E`), encoded more than once (`%252e`), or behind an encoded or back slash
 * (`..%2f`, `%5c..`). A service or a URL parser on the way may decode or resolve any of these,
 * and a path the route table sent to one subtree must not arrive in another. The gateway refuses
 * such paths from clients; the in-process transport refuses them between services, since
 * `app.inject` resolves them where HTTP would not.
 */
export function hasDotSegment(url: string): boolean {
  let path = url.split('?', 1)[0] ?? ''
  for (let round = 0; ; round += 1) {
    // The URL parser drops tabs and newlines and reads `\` as `/`.
    const segments = path.replace(/[\t\n\r]/g, '').split(/[/\\]/)
    if (segments.some((segment) => segment === '.' || segment === '..')) return true
    const decoded = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    )
    if (decoded === path) return false
    if (round === maxDecodeRounds) return true
    path = decoded
  }
}
