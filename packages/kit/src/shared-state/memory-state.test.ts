import { expect, onTestFinished, test, vi } from 'vitest'
import { defineAtomicScript } from './atomic-script.ts'
import { createMemoryState } from './memory-state.ts'
import { sharedStateContract } from './shared-state.contract.ts'

// Two "replicas" of the one-process shape share one store: the same object.
sharedStateContract('memory', async () => {
  const state = createMemoryState()
  return { open: () => state }
})

/** Reads KEYS[1], lets the wall clock pass ARGV[1] ms, reads it again and gives its PTTL. */
const readAcrossTime = defineAtomicScript({
  name: 'test.read-across-time',
  lua: `return redis.error_reply('memory only')`,
  memory: (store, [key = ''], args) => {
    const before = store.get(key)
    vi.advanceTimersByTime(args.number(0))
    return [before, store.get(key), store.pttl(key)]
  },
})

test('a script sees the clock as it was when it started, as Redis freezes time for a script', async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
  const state = createMemoryState()
  onTestFinished(() => state.close())
  await state.set('k', 'v', 100)
  // The key expires halfway through the script, yet the script sees it alive to its end.
  expect(await state.runScript(readAcrossTime, ['k'], [500])).toEqual(['v', 'v', 100])
  // Outside a script the clock moves again.
  expect(await state.get('k')).toBeNull()
})

test('a counter that would pass the safe integers is refused and left as it was', async () => {
  const state = createMemoryState()
  onTestFinished(() => state.close())
  const top = Number.MAX_SAFE_INTEGER - 1
  await state.set('n', String(top))
  expect(await state.incrBy('n', 1)).toBe(Number.MAX_SAFE_INTEGER)
  await expect(state.incrBy('n', 1)).rejects.toThrow(/overflow/)
  expect(await state.get('n')).toBe(String(Number.MAX_SAFE_INTEGER))
})
