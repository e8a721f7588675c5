import { expect, test } from 'vitest'
import { createAllowList, parseAllowEntry } from './allow-list.ts'

const list = createAllowList([
  'https://api.example.com',
  'https://*.wiki.example',
  'http://intranet.example:8080',
])
const refusal = (url: string) => list.refusal(new URL(url))

test.each([
  'https://api.example.com/v1/x?q=1',
  'https://API.example.com:443/',
  'https://en.wiki.example/page',
  'https://a.b.wiki.example/',
  'http://intranet.example:8080/x',
])('%s is allowed', (url) => {
  expect(refusal(url)).toBeNull()
})

test.each([
  ['http://api.example.com/', 'not on the org'],
  ['https://api.example.com:8443/', 'not on the org'],
  ['https://wiki.example/', 'not on the org'],
  ['https://evil-wiki.example/', 'not on the org'],
  ['https://api.example.com.evil.test/', 'not on the org'],
  ['http://intranet.example/', 'not on the org'],
  ['https://user:pw@api.example.com/', 'credentials'],
  ['ftp://api.example.com/', 'scheme ftp:'],
  ['file:///etc/passwd', 'scheme file:'],
])('%s is refused', (url, why) => {
  expect(refusal(url)).toContain(why)
})

test('an empty allow-list allows nothing', () => {
  expect(createAllowList([]).refusal(new URL('https://example.com/'))).toContain('not on the org')
})

test.each(['example.com', 'https://example.com/path', 'https://*example.com', 'gopher://x', 'https://a b'])(
  '%s is not an entry',
  (entry) => {
    expect(parseAllowEntry(entry)).toBeNull()
  },
)
