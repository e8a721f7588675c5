import { errors } from 'undici'

/** A segment the URL parser treats as `.` or `..` (`%2e` in any case counts as a dot). */
const dotSegment = /^(?:\.|%2e){1,2}$/i

/**
 * Refuses a request path that `new URL()` (and so `app.inject`) would resolve: over HTTP the
 * service sees such a path as sent, so in one process it must not land on another route instead
 * (`/admin/v1/x/%2e%2e/internal/...` on an internal one). The parser drops tabs and newlines and
 * treats `\` as `/` for http URLs, so the check does too.
 */
export function refuseDotSegments(path: string): void {
  const pathname = (path.split('?', 1)[0] ?? '').replace(/[\t\n\r]/g, '')
  if (pathname.split(/[/\\]/).some((segment) => dotSegment.test(segment)))
    throw new errors.InvalidArgumentError(`invalid request path: dot segments in ${JSON.stringify(path)}`)
}
