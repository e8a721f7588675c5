import { type Tool, ToolError } from '../tool.ts'

/** `current_time`: the time now in an IANA time zone (default UTC), from the service's clock. */
export function currentTimeTool(now: () => number): Tool {
  return {
    name: 'current_time',
    description: 'The current date and time in an IANA time zone such as "Europe/Paris" (default "UTC").',
    parameters: {
      type: 'object',
      properties: {
        timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone name' },
      },
      additionalProperties: false,
    },
    async call(args) {
      const timezone = (args as { timezone?: string }).timezone ?? 'UTC'
      const at = new Date(now())
      let parts: Intl.DateTimeFormatPart[]
      try {
        parts = new Intl.DateTimeFormat('en-US', {
          timeZone: timezone,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          weekday: 'long',
          timeZoneName: 'longOffset',
        }).formatToParts(at)
      } catch {
        throw new ToolError(
          `unknown time zone ${JSON.stringify(timezone)}: use an IANA name like "America/New_York"`,
        )
      }
      const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? ''
      // "GMT+05:30" -> "+05:30"; plain "GMT" is UTC itself.
      const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00'
      const local = `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`
      return { timezone, local: `${local}${offset}`, weekday: part('weekday'), utc: at.toISOString() }
    },
  }
}
