import { expect, test } from 'vitest'
import { ClientGone, sleep } from './timeouts.ts'

test('a sleep ends with the abort reason, whether the signal aborts during it or before', async () => {
  const controller = new AbortController()
  const sleeping = sleep(60_000, controller.signal)
  const reason = new ClientGone()
  controller.abort(reason)
  await expect(sleeping).rejects.toBe(reason)
  await expect(sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason)
  await expect(sleep(1, new AbortController().signal)).resolves.toBeUndefined()
})
