import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, onTestFinished, test } from 'vitest'
import { defineAtomicScript, type ScriptReply } from './atomic-script.ts'
import type { SharedState } from './shared-state.ts'

/** Moves ARGV[1] from KEYS[1] to KEYS[2] only when KEYS[1] holds enough: { moved (1/0), from, to }. */
const transfer = defineAtomicScript({
  name: 'contract.transfer',
  lua: `
local amount = tonumber(ARGV[1])
local from = tonumber(redis.call('GET', KEYS[1]) or '0')
if from < amount then
  return { 0, from, tonumber(redis.call('GET', KEYS[2]) or '0') }
end
return { 1, redis.call('INCRBY', KEYS[1], -amount), redis.call('INCRBY', KEYS[2], amount) }
`,
  memory: (store, [from = '', to = ''], args) => {
    const n = args.number(0)
    const balance = Number(store.get(from) ?? '0')
    if (balance < n) return [0, balance, Number(store.get(to) ?? '0')]
    return [1, store.incrBy(from, -n), store.incrBy(to, n)]
  },
  parse: (reply) => {
    const [moved, from, to] = reply as number[]
    return { moved: moved === 1, from, to }
  },
})

/**
 * Every store operation a memory script may use, in one fixed sequence over a hash (KEYS[1]), a
 * sorted set (KEYS[2]) and a string (KEYS[3]), each result in the reply: both sides must answer
 * the same list.
 */
const probe = defineAtomicScript({
  name: 'contract.probe',
  lua: `
local out = {}
local function push(v) out[#out + 1] = v end
local function pairs_of(flat)
  local t = {}
  for i = 1, #flat, 2 do t[#t + 1] = { flat[i], tonumber(flat[i + 1]) } end
  return t
end
push(redis.call('HSET', KEYS[1], 'a', '1'))
push(redis.call('HSET', KEYS[1], 'a', '2'))
push(tonumber(redis.call('HGET', KEYS[1], 'a')))
push(redis.call('HINCRBY', KEYS[1], 'a', 5))
push(redis.call('HINCRBY', KEYS[1], 'b', -3))
push(redis.call('HGET', KEYS[1], 'a'))
push(redis.call('HGET', KEYS[1], 'missing'))
push(tonumber(redis.call('HGET', KEYS[1], 'b')))
push(tonumber(redis.call('HGET', KEYS[1], 'missing')) or false)
push(redis.call('HDEL', KEYS[1], 'a', 'missing'))
local all = redis.call('HGETALL', KEYS[1])
push(#all / 2)
push(all[1] .. '=' .. all[2])
push(redis.call('ZADD', KEYS[2], 30, 'c'))
push(redis.call('ZADD', KEYS[2], 10, 'a'))
push(redis.call('ZADD', KEYS[2], 20, 'b'))
push(redis.call('ZADD', KEYS[2], 20, 'a'))
push(redis.call('ZADD', KEYS[2], 40, 'd'))
push(tonumber(redis.call('ZSCORE', KEYS[2], 'a')))
push(redis.call('ZSCORE', KEYS[2], 'missing'))
push(pairs_of(redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')))
push(pairs_of(redis.call('ZRANGE', KEYS[2], 1, 1, 'WITHSCORES')))
push(pairs_of(redis.call('ZRANGE', KEYS[2], -2, 99, 'WITHSCORES')))
push(pairs_of(redis.call('ZRANGEBYSCORE', KEYS[2], 20, 30, 'WITHSCORES')))
push(redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', 20))
push(redis.call('ZREM', KEYS[2], 'c', 'missing'))
push(redis.call('ZCARD', KEYS[2]))
push(redis.call('ZREM', KEYS[2], 'd'))
push(redis.call('EXISTS', KEYS[2]))
push(redis.call('PTTL', KEYS[3]))
redis.call('SET', KEYS[3], 'v')
push(redis.call('PTTL', KEYS[3]))
push(redis.call('PEXPIRE', KEYS[3], 60000))
local ttl = redis.call('PTTL', KEYS[3])
push(ttl > 55000 and ttl <= 60000)
push(redis.call('PEXPIRE', KEYS[3] .. ':missing', 1000))
push(redis.call('DEL', KEYS[3], KEYS[1], KEYS[3] .. ':missing'))
push(redis.call('EXISTS', KEYS[1]))
push(tonumber(redis.call('GET', KEYS[3])) or false)
redis.call('INCRBY', KEYS[3], 12)
push(tonumber(redis.call('GET', KEYS[3])))
redis.call('SET', KEYS[3], '-5')
push(tonumber(redis.call('GET', KEYS[3])))
redis.call('DEL', KEYS[3])
push({ 1.9, -1.9, true, false, 'x' })
return out
`,
  memory: (store, [hash = '', zset = '', str = '']) => {
    const out: unknown[] = []
    const push = (v: unknown) => out.push(v)
    const pairs = (items: { member: string; score: number }[]) => items.map((i) => [i.member, i.score])
    push(store.hset(hash, 'a', '1') ? 1 : 0)
    push(store.hset(hash, 'a', '2') ? 1 : 0)
    push(store.hgetNumber(hash, 'a'))
    push(store.hincrBy(hash, 'a', 5))
    push(store.hincrBy(hash, 'b', -3))
    push(store.hget(hash, 'a'))
    push(store.hget(hash, 'missing'))
    push(store.hgetNumber(hash, 'b'))
    push(store.hgetNumber(hash, 'missing'))
    push(store.hdel(hash, 'a', 'missing'))
    const all = Object.entries(store.hgetall(hash))
    push(all.length)
    push(all.map(([field, value]) => `${field}=${value}`).join())
    push(store.zadd(zset, 30, 'c') ? 1 : 0)
    push(store.zadd(zset, 10, 'a') ? 1 : 0)
    push(store.zadd(zset, 20, 'b') ? 1 : 0)
    push(store.zadd(zset, 20, 'a') ? 1 : 0)
    push(store.zadd(zset, 40, 'd') ? 1 : 0)
    push(store.zscore(zset, 'a'))
    push(store.zscore(zset, 'missing'))
    push(pairs(store.zrange(zset, 0, -1)))
    push(pairs(store.zrange(zset, 1, 1)))
    push(pairs(store.zrange(zset, -2, 99)))
    push(pairs(store.zrangeByScore(zset, 20, 30)))
    push(store.zremRangeByScore(zset, Number.NEGATIVE_INFINITY, 20))
    push(store.zrem(zset, 'c', 'missing'))
    push(store.zcard(zset))
    push(store.zrem(zset, 'd'))
    push(store.exists(zset) ? 1 : 0)
    push(store.pttl(str))
    store.set(str, 'v')
    push(store.pttl(str))
    push(store.pexpire(str, 60_000) ? 1 : 0)
    const ttl = store.pttl(str)
    push(ttl > 55_000 && ttl <= 60_000)
    push(store.pexpire(`${str}:missing`, 1000) ? 1 : 0)
    push(store.del(str, hash, `${str}:missing`))
    push(store.exists(hash) ? 1 : 0)
    push(store.getNumber(str))
    store.incrBy(str, 12)
    push(store.getNumber(str))
    store.set(str, '-5')
    push(store.getNumber(str))
    store.del(str)
    push([1.9, -1.9, true, false, 'x'])
    return out
  },
})

/** Each argument as the script reads it: the string, and ten times its number (null if none). */
const echoArgs = defineAtomicScript({
  name: 'contract.echo-args',
  lua: `
local out = {}
for i = 1, #ARGV do
  out[#out + 1] = ARGV[i]
  local n = tonumber(ARGV[i])
  out[#out + 1] = n and n * 10 or false
end
return out
`,
  memory: (_store, _keys, args) => {
    const out: unknown[] = []
    for (let i = 0; i < args.length; i++) {
      const n = args.number(i)
      out.push(args.string(i), Number.isNaN(n) ? false : n * 10)
    }
    return out
  },
})

/** Reads KEYS[1] as a string: WRONGTYPE when it holds a hash. */
const readString = defineAtomicScript({
  name: 'contract.read-string',
  lua: `return redis.call('GET', KEYS[1])`,
  memory: (store, [key = '']) => store.get(key),
})

/** Writes KEYS[1] = ARGV[1] with a TTL of ARGV[2] ms, and KEYS[2] as a hash field. */
const writeWithTtl = defineAtomicScript({
  name: 'contract.write-with-ttl',
  lua: `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 'f', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return redis.call('PTTL', KEYS[2]) > 0
`,
  memory: (store, [str = '', hash = ''], args) => {
    const value = args.string(0)
    store.set(str, value, args.number(1))
    store.hset(hash, 'f', value)
    store.pexpire(hash, args.number(1))
    return store.pttl(hash) > 0
  },
})

/** What the probe must answer, worked out from Redis's documented replies. */
const probeExpected: ScriptReply[] = [
  // hash: HSET new, HSET existing, HGET as a number, HINCRBY, HINCRBY from nothing, HGET, HGET
  // missing, HGET of the counter as a number, HGET missing as a number, HDEL, HGETALL
  ...[1, 0, 2, 7, -3, '7', null, -3, null, 1, 1, 'b=-3'],
  // sorted set: four new members, one rescored; ZSCORE; ZSCORE missing
  ...[1, 1, 1, 0, 1, 20, null],
  // equal scores order by member
  [
    ['a', 20],
    ['b', 20],
    ['c', 30],
    ['d', 40],
  ],
  [['b', 20]],
  [
    ['c', 30],
    ['d', 40],
  ],
  [
    ['a', 20],
    ['b', 20],
    ['c', 30],
  ],
  // ZREMRANGEBYSCORE, ZREM, ZCARD, ZREM of the last member, EXISTS of the emptied set
  ...[2, 1, 1, 1, 0],
  // string and TTLs: PTTL missing, PTTL without ttl, PEXPIRE, ttl in range, PEXPIRE missing, DEL, EXISTS
  ...[-2, -1, 1, 1, 0, 2, 0],
  // GET as a number: missing, a counter, a string
  ...[null, 12, -5],
  // Lua to Redis conversions: numbers truncated, true is 1, false is null
  [1, -1, 1, null, 'x'],
]

/** One empty store, seen through as many clients as a test opens (replicas of one deployment). */
export interface SharedStateFixture {
  open(): Promise<SharedState> | SharedState
  /** Removes what the test left behind; called after the clients are closed. */
  cleanup?(): Promise<void>
}

/**
 * The behaviour every SharedState implementation must have. `createFixture` is called once per
 * test and must return an empty store. TTLs are real time (a real Redis cannot be given fake
 * timers), so they are short and the waits leave a wide margin.
 */
export function sharedStateContract(name: string, createFixture: () => Promise<SharedStateFixture>): void {
  describe(`SharedState contract: ${name}`, () => {
    async function openStore(clients = 1): Promise<SharedState[]> {
      const fixture = await createFixture()
      const states: SharedState[] = []
      for (let i = 0; i < clients; i++) states.push(await fixture.open())
      onTestFinished(async () => {
        for (const state of states) await state.close()
        await fixture.cleanup?.()
      })
      return states
    }
    async function one(): Promise<SharedState> {
      const [state] = await openStore(1)
      if (state === undefined) throw new Error('fixture opened no client')
      return state
    }

    test('get answers null for a missing key and the value after set', async () => {
      const state = await one()
      expect(await state.get('greeting')).toBeNull()
      await state.set('greeting', 'hello')
      expect(await state.get('greeting')).toBe('hello')
      await state.set('greeting', 'hi')
      expect(await state.get('greeting')).toBe('hi')
    })

    test('del removes a key', async () => {
      const state = await one()
      await state.set('k', 'v')
      await state.del('k')
      expect(await state.get('k')).toBeNull()
      await state.del('never-set')
    })

    test('set with a ttl expires the value', async () => {
      const state = await one()
      await state.set('short', 'v', 60)
      await state.set('long', 'v', 60_000)
      expect(await state.get('short')).toBe('v')
      await sleep(150)
      expect(await state.get('short')).toBeNull()
      expect(await state.get('long')).toBe('v')
    })

    test('incrBy counts from zero, accepts negative steps and returns the new value', async () => {
      const state = await one()
      expect(await state.incrBy('n', 5)).toBe(5)
      expect(await state.incrBy('n', -2)).toBe(3)
      expect(await state.get('n')).toBe('3')
    })

    test('incrBy applies its ttl only when it creates the key', async () => {
      const state = await one()
      await state.incrBy('c', 1, 100)
      // A later ttl must not extend the window the first call opened.
      await state.incrBy('c', 1, 60_000)
      expect(await state.get('c')).toBe('2')
      await sleep(200)
      expect(await state.get('c')).toBeNull()
    })

    test('incrBy rejects a key holding a non-integer and a non-integer step', async () => {
      const state = await one()
      await state.set('text', 'abc')
      await expect(state.incrBy('text', 1)).rejects.toThrow()
      await expect(state.incrBy('n', 1.5)).rejects.toThrow(RangeError)
      expect(await state.get('text')).toBe('abc')
      // Redis reads integers strictly: these spellings of numbers are not integers to it.
      for (const spelling of ['007', '-0', '+7', ' 7', '7.0', '1e3', '']) {
        await state.set('spelled', spelling)
        await expect(state.incrBy('spelled', 1), JSON.stringify(spelling)).rejects.toThrow()
      }
      await state.set('spelled', '-7')
      expect(await state.incrBy('spelled', 1)).toBe(-6)
    })

    test('hit admits exactly limit hits per window and reports what remains', async () => {
      const state = await one()
      const results = []
      for (let i = 0; i < 4; i++) results.push(await state.hit('ip:1', 3, 60_000))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      for (const r of results) {
        expect(r.resetMs).toBeGreaterThan(55_000)
        expect(r.resetMs).toBeLessThanOrEqual(60_000)
      }
      // Another key has its own window.
      expect((await state.hit('ip:2', 3, 60_000)).remaining).toBe(2)
    })

    test('hit opens a new window once the old one has passed', async () => {
      const state = await one()
      expect((await state.hit('burst', 1, 100)).allowed).toBe(true)
      expect((await state.hit('burst', 1, 100)).allowed).toBe(false)
      await sleep(200)
      const fresh = await state.hit('burst', 1, 100)
      expect(fresh).toMatchObject({ allowed: true, remaining: 0 })
      expect(fresh.resetMs).toBeGreaterThan(0)
    })

    test('concurrent hits from two clients never admit more than the limit', async () => {
      const [a, b] = await openStore(2)
      if (a === undefined || b === undefined) throw new Error('fixture opened fewer than two clients')
      const limit = 25
      const attempts = Array.from({ length: 120 }, (_, i) =>
        (i % 2 === 0 ? a : b).hit('shared', limit, 60_000),
      )
      const results = await Promise.all(attempts)
      expect(results.filter((r) => r.allowed)).toHaveLength(limit)
      // Every client reads the one count: the remaining values handed out are all distinct.
      const remaining = results.filter((r) => r.allowed).map((r) => r.remaining)
      expect(new Set(remaining).size).toBe(limit)
    })

    test('concurrent incrBy from two clients loses no update', async () => {
      const [a, b] = await openStore(2)
      if (a === undefined || b === undefined) throw new Error('fixture opened fewer than two clients')
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).incrBy('tokens', 7)))
      expect(await a.get('tokens')).toBe('700')
      expect(await b.get('tokens')).toBe('700')
    })

    test('a script checks and writes several keys in one step, and its writes are ordinary keys', async () => {
      const state = await one()
      await state.set('wallet:a', '10')
      expect(await state.runScript(transfer, ['wallet:a', 'wallet:b'], [4])).toEqual({
        moved: true,
        from: 6,
        to: 4,
      })
      expect(await state.runScript(transfer, ['wallet:a', 'wallet:b'], [7])).toEqual({
        moved: false,
        from: 6,
        to: 4,
      })
      expect(await state.get('wallet:a')).toBe('6')
      expect(await state.incrBy('wallet:b', 1)).toBe(5)
    })

    test('runScriptNow, where a store has it, answers and throws as runScript does', async () => {
      const state = await one()
      if (state.runScriptNow === undefined) {
        // Only a store in this process can answer at once; Redis has no such method.
        expect(await state.runScript(readString, ['absent'])).toBeNull()
        return
      }
      // Two wallets alike, one moved each way: the same answers.
      await state.set('wallet:a', '10')
      await state.set('wallet:x', '10')
      expect(state.runScriptNow(transfer, ['wallet:a', 'wallet:b'], [4])).toEqual(
        await state.runScript(transfer, ['wallet:x', 'wallet:y'], [4]),
      )
      expect(await state.get('wallet:a')).toBe('6')
      await state.runScript(writeWithTtl, ['plain', 'hashed'], ['v', 60_000])
      expect(() => state.runScriptNow?.(readString, ['hashed'])).toThrow(/contract\.read-string.*WRONGTYPE/s)
    })

    test('every store operation a script may use answers as Redis documents it', async () => {
      const state = await one()
      expect(await state.runScript(probe, ['probe:h', 'probe:z', 'probe:s'])).toEqual(probeExpected)
      // The probe deleted what it made.
      expect(await state.get('probe:s')).toBeNull()
    })

    test('a script reads its arguments as Redis passes them: strings, and numbers as they print', async () => {
      const state = await one()
      const args = [12, -0, 0.5, 1_750_000_000_000, -7, '42', 'abc']
      expect(await state.runScript(echoArgs, [], args)).toEqual(
        // Replies drop fractions: ten times 0.5 shows that the script saw 0.5.
        ['12', 120, '0', 0, '0.5', 5, '1750000000000', 17_500_000_000_000, '-7', -70, '42', 420, 'abc', null],
      )
      await expect(state.runScript(echoArgs, [], [Number.NaN])).rejects.toThrow(RangeError)
    })

    test('a script operation on a key of the wrong type rejects, naming the script', async () => {
      const state = await one()
      await state.runScript(writeWithTtl, ['plain', 'hashed'], ['v', 60_000])
      await expect(state.runScript(readString, ['hashed'])).rejects.toThrow(
        /contract\.read-string.*WRONGTYPE/s,
      )
      expect(await state.runScript(readString, ['plain'])).toBe('v')
    })

    test('ttls set inside a script expire the keys', async () => {
      const state = await one()
      expect(await state.runScript(writeWithTtl, ['t:s', 't:h'], ['v', 80])).toBe(1)
      expect(await state.get('t:s')).toBe('v')
      await sleep(200)
      expect(await state.get('t:s')).toBeNull()
      expect(await state.runScript(readString, ['t:h'])).toBeNull()
    })

    test('concurrent scripts from two clients are atomic: no transfer overdraws', async () => {
      const [a, b] = await openStore(2)
      if (a === undefined || b === undefined) throw new Error('fixture opened fewer than two clients')
      const start = 100
      const step = 3
      await a.set('pool', String(start))
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 === 0 ? a : b).runScript(transfer, ['pool', 'spent'], [step]),
        ),
      )
      const moved = results.filter((r) => r.moved).length
      expect(moved).toBe(Math.floor(start / step))
      expect(await b.get('pool')).toBe(String(start - moved * step))
      expect(await a.get('spent')).toBe(String(moved * step))
    })

    test('a stream hands out increasing ids and reads back exactly what follows an id', async () => {
      const state = await one()
      const opts = { maxLen: 100, ttlMs: 60_000 }
      const ids: string[] = []
      for (const data of ['a', 'b', 'c', 'd']) ids.push(await state.streamAppend('log', data, opts))
      expect(new Set(ids).size).toBe(4)
      expect(await state.streamRead('log', '0')).toEqual(
        ['a', 'b', 'c', 'd'].map((data, i) => ({ id: ids[i], data })),
      )
      expect((await state.streamRead('log', ids[1] as string)).map((e) => e.data)).toEqual(['c', 'd'])
      expect(await state.streamRead('log', ids[3] as string)).toEqual([])
      expect((await state.streamRead('log', '0', 3)).map((e) => e.data)).toEqual(['a', 'b', 'c'])
      expect(await state.streamRead('missing', '0')).toEqual([])
      await expect(state.streamRead('log', 'not-an-id')).rejects.toThrow(RangeError)
    })

    test('a stream keeps its newest maxLen entries and expires as a whole after its ttl', async () => {
      const state = await one()
      for (let i = 1; i <= 5; i++)
        await state.streamAppend('trimmed', String(i), { maxLen: 3, ttlMs: 60_000 })
      expect((await state.streamRead('trimmed', '0')).map((e) => e.data)).toEqual(['3', '4', '5'])
      await state.streamAppend('brief', 'x', { maxLen: 10, ttlMs: 80 })
      expect(await state.streamRead('brief', '0')).toHaveLength(1)
      await sleep(200)
      expect(await state.streamRead('brief', '0')).toEqual([])
    })

    test('each append renews the stream ttl', async () => {
      const state = await one()
      await state.streamAppend('renewed', '1', { maxLen: 10, ttlMs: 150 })
      await sleep(100)
      await state.streamAppend('renewed', '2', { maxLen: 10, ttlMs: 150 })
      await sleep(100)
      // 200 ms after the first append, 100 after the second: alive because the second renewed it.
      expect((await state.streamRead('renewed', '0')).map((e) => e.data)).toEqual(['1', '2'])
    })

    test('a blocking read answers at once when entries follow, else when another client appends', async () => {
      const [reader, writer] = await openStore(2)
      if (reader === undefined || writer === undefined)
        throw new Error('fixture opened fewer than two clients')
      const opts = { maxLen: 100, ttlMs: 60_000 }
      const first = await writer.streamAppend('live', 'one', opts)
      expect((await reader.streamReadBlocking('live', '0', 5_000)).map((e) => e.data)).toEqual(['one'])

      const started = Date.now()
      const waiting = reader.streamReadBlocking('live', first, 5_000)
      await sleep(100)
      const second = await writer.streamAppend('live', 'two', opts)
      expect(await waiting).toEqual([{ id: second, data: 'two' }])
      expect(Date.now() - started).toBeLessThan(4_000)
    })

    test('many blocking reads on different keys and positions each get exactly their own entries', async () => {
      const [reader, writer] = await openStore(2)
      if (reader === undefined || writer === undefined)
        throw new Error('fixture opened fewer than two clients')
      const opts = { maxLen: 100, ttlMs: 60_000 }
      const keys = Array.from({ length: 12 }, (_, i) => `many:${i}`)
      const firsts = await Promise.all(keys.map((key) => writer.streamAppend(key, `${key}/1`, opts)))
      // Two readers per key: one from the start (answered at once), one after the first entry (waits).
      const fromStart = keys.map((key) => reader.streamReadBlocking(key, '0', 5_000))
      const waiting = keys.map((key, i) => reader.streamReadBlocking(key, firsts[i] as string, 5_000))
      await sleep(100)
      // Appended in reverse order, each to its own key.
      for (const key of [...keys].reverse()) await writer.streamAppend(key, `${key}/2`, opts)
      expect((await Promise.all(fromStart)).map((entries) => entries[0]?.data)).toEqual(
        keys.map((k) => `${k}/1`),
      )
      expect((await Promise.all(waiting)).map((entries) => entries.map((e) => e.data))).toEqual(
        keys.map((k) => [`${k}/2`]),
      )
    })

    test('a blocking read with nothing to read answers [] after its timeout', async () => {
      const state = await one()
      const started = Date.now()
      expect(await state.streamReadBlocking('quiet', '0', 300)).toEqual([])
      const waited = Date.now() - started
      expect(waited).toBeGreaterThanOrEqual(250)
      expect(waited).toBeLessThan(3_000)
    })

    test('a blocking read in flight answers [] when its state closes', async () => {
      const fixture = await createFixture()
      const state = await fixture.open()
      onTestFinished(async () => {
        await fixture.cleanup?.()
      })
      const started = Date.now()
      const waiting = state.streamReadBlocking('never', '0', 10_000)
      await sleep(100)
      await state.close()
      expect(await waiting).toEqual([])
      expect(Date.now() - started).toBeLessThan(5_000)
    })

    test('a stream key is not a string: get on it rejects like Redis (WRONGTYPE)', async () => {
      const state = await one()
      await state.streamAppend('typed', 'x', { maxLen: 10, ttlMs: 60_000 })
      await expect(state.get('typed')).rejects.toThrow(/WRONGTYPE/)
      await state.set('plain', 'v')
      await expect(state.streamAppend('plain', 'x', { maxLen: 10, ttlMs: 60_000 })).rejects.toThrow(
        /WRONGTYPE/,
      )
    })

    test('ping answers true while open and false once closed', async () => {
      const fixture = await createFixture()
      const state = await fixture.open()
      onTestFinished(async () => {
        await fixture.cleanup?.()
      })
      expect(await state.ping()).toBe(true)
      await state.close()
      expect(await state.ping()).toBe(false)
    })
  })
}
