/**
 * Atomic multi-key scripts for the SharedState port. One operation, written twice: as Lua for
 * Redis (one EVALSHA, atomic on the server) and as synchronous JavaScript for the in-memory store
 * (atomic because nothing else runs in the process while it does). Both must give the same reply
 * for the same keys, arguments and stored data; the contract suite holds them to it.
 *
 * A Lua trap the memory side cannot mirror: Lua numbers reach Redis commands formatted as "%.17g",
 * so -0 arrives as "-0" and 0.1 as "0.10000000000000001", which INCRBY and HINCRBY refuse. Keep
 * amounts integers and skip adding zero.
 */

/**
 * What a script answers, in Redis's terms: Lua numbers come back as integers (fractions dropped),
 * strings as strings, `false`/`nil` as null, `true` as 1, tables as arrays. The memory side's
 * return value is converted by the same rules, so a float or a boolean cannot make them differ.
 */
export type ScriptReply = string | number | null | ScriptReply[]

/** A sorted-set member and its score, as `ZRANGE ... WITHSCORES` gives them. */
export interface ScoredMember {
  member: string
  score: number
}

/**
 * The subset of Redis a memory script may use, with Redis's semantics: missing keys read as
 * empty, a command on a key of the wrong type throws WRONGTYPE, an emptied hash or sorted set
 * is deleted, and TTLs are real time (`Date.now()`, read once when the script starts: as in Redis,
 * a key alive then stays alive to the script's end). Scripts that need "now" for their logic take it
 * as an argument, as their Lua twin must.
 */
export interface ScriptStore {
  get(key: string): string | null
  /**
   * GET read as a number, as `Number()` reads the string (Lua: `tonumber(redis.call('GET', key))`),
   * or null when missing. A counter is not printed for it and parsed back.
   */
  getNumber(key: string): number | null
  /** SET, with PX when `ttlMs` is given (a SET without it clears the TTL). */
  set(key: string, value: string, ttlMs?: number): void
  /** DEL: how many of the keys existed. */
  del(...keys: string[]): number
  exists(key: string): boolean
  /** INCRBY: the key must hold an integer or be missing. */
  incrBy(key: string, by: number): number
  /** PTTL: milliseconds left, -1 without a TTL, -2 when missing. */
  pttl(key: string): number
  /** PEXPIRE: false when the key is missing. */
  pexpire(key: string, ttlMs: number): boolean
  hget(key: string, field: string): string | null
  /** HGET read as a number, as `getNumber` reads GET. */
  hgetNumber(key: string, field: string): number | null
  /** HSET of one field: true when the field is new. */
  hset(key: string, field: string, value: string): boolean
  hdel(key: string, ...fields: string[]): number
  hincrBy(key: string, field: string, by: number): number
  hgetall(key: string): Record<string, string>
  /** ZADD of one member: true when the member is new (an existing one gets the new score). */
  zadd(key: string, score: number, member: string): boolean
  zrem(key: string, ...members: string[]): number
  zscore(key: string, member: string): number | null
  zcard(key: string): number
  /** ZRANGE start stop WITHSCORES by rank, ascending; negative ranks count from the end. */
  zrange(key: string, start: number, stop: number): ScoredMember[]
  /** ZRANGEBYSCORE min max WITHSCORES, both bounds inclusive, ascending. */
  zrangeByScore(key: string, min: number, max: number): ScoredMember[]
  /** ZREMRANGEBYSCORE min max, both bounds inclusive: how many were removed. */
  zremRangeByScore(key: string, min: number, max: number): number
}

/**
 * A memory script's arguments, as its Lua twin reads ARGV: `string(i)` is `ARGV[i + 1]`, the
 * string Redis passes, and `number(i)` is that string read as a number (`Number()`). An index past
 * the end reads as '' and NaN. A number argument is not printed and parsed back on the way: that
 * round trip gives the same number (-0 aside, which reads as 0), and on a rate-limited request it
 * was a good part of what its scripts cost in memory.
 */
export interface ScriptArgs {
  readonly length: number
  string(index: number): string
  number(index: number): number
}

export interface AtomicScript<Result = ScriptReply> {
  /** Names the script in errors. */
  readonly name: string
  /** The Redis side: reads KEYS and ARGV (strings), may only touch the keys it is given. */
  readonly lua: string
  /** The in-memory side: the same logic over `store`, with the same keys and arguments. */
  readonly memory: (store: ScriptStore, keys: readonly string[], args: ScriptArgs) => unknown
  /** Turns the reply both sides agree on into what callers get. */
  readonly parse: (reply: ScriptReply) => Result
}

export interface AtomicScriptDefinition<Result> {
  name: string
  lua: string
  memory: (store: ScriptStore, keys: readonly string[], args: ScriptArgs) => unknown
  /** Default: the reply as it is. */
  parse?: (reply: ScriptReply) => Result
}

/**
 * Declares a script once, at module level; `state.runScript(script, keys, args)` runs it on
 * whichever SharedState the service was given.
 *
 *     const transfer = defineAtomicScript({
 *       name: 'transfer',
 *       lua: `local from = tonumber(redis.call('GET', KEYS[1]) or '0') ...`,
 *       memory: (store, [from, to], args) => { const amount = args.number(0) ... },
 *     })
 *
 * Like a Redis script, a script that throws halfway keeps the writes it already made: check
 * first, then write.
 */
export function defineAtomicScript<Result = ScriptReply>(
  definition: AtomicScriptDefinition<Result>,
): AtomicScript<Result> {
  if (!/^[\w.:-]+$/.test(definition.name)) throw new TypeError(`invalid script name: ${definition.name}`)
  return Object.freeze({
    name: definition.name,
    lua: definition.lua,
    memory: definition.memory,
    parse: definition.parse ?? ((reply: ScriptReply) => reply as Result),
  })
}

/** Converts a memory script's return value the way Redis converts a Lua one. */
export function toScriptReply(value: unknown): ScriptReply {
  if (value === null || value === undefined || value === false) return null
  if (value === true) return 1
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`a script cannot return ${value}`)
    return Math.trunc(value)
  }
  if (typeof value === 'string') return value
  // A null inside an array stands for Lua's false (what Redis gives a Lua script for a missing
  // value), which Redis keeps as a null element. Lua tables stop at their first nil: keep nils
  // out of the Lua side's tables.
  if (Array.isArray(value)) return value.map(toScriptReply)
  throw new TypeError(`a script cannot return a ${typeof value}`)
}

const checkScriptArg = (arg: string | number) => {
  if (typeof arg === 'number' && !Number.isFinite(arg)) throw new RangeError(`script argument ${arg}`)
}

/** Normalizes script arguments for Redis: strings, as it sends them to Lua. */
export function toScriptArgs(args: readonly (string | number)[]): string[] {
  return args.map((arg) => {
    checkScriptArg(arg)
    return String(arg)
  })
}

/** The same arguments for a memory script (see ScriptArgs); rejects what `toScriptArgs` rejects. */
export function toMemoryScriptArgs(args: readonly (string | number)[]): ScriptArgs {
  for (const arg of args) checkScriptArg(arg)
  return new MemoryScriptArgs(args)
}

class MemoryScriptArgs implements ScriptArgs {
  readonly #args: readonly (string | number)[]

  constructor(args: readonly (string | number)[]) {
    this.#args = args
  }

  get length(): number {
    return this.#args.length
  }

  string(index: number): string {
    const arg = this.#args[index]
    return arg === undefined ? '' : String(arg)
  }

  number(index: number): number {
    const arg = this.#args[index]
    // + 0 turns -0 into 0, as printing it does.
    if (typeof arg === 'number') return arg + 0
    return arg === undefined ? Number.NaN : Number(arg)
  }
}
