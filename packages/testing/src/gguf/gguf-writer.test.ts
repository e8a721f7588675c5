import { expect, test } from 'vitest'
import { encodeGguf, type GgufValue } from './gguf-writer.ts'
import { TINY_GGUF_CHAT_TEMPLATE, tinyGguf } from './tiny-model.ts'

// A reader for what the writer emits, written from the GGUF spec, so the two can disagree.
function readGguf(file: Buffer) {
  let at = 0
  const u32 = () => {
    const v = file.readUInt32LE(at)
    at += 4
    return v
  }
  const u64 = () => {
    const v = Number(file.readBigUInt64LE(at))
    at += 8
    return v
  }
  const string = () => {
    const length = u64()
    const v = file.toString('utf8', at, at + length)
    at += length
    return v
  }
  const scalar = (type: number): unknown => {
    switch (type) {
      case 4:
        return u32()
      case 5: {
        const v = file.readInt32LE(at)
        at += 4
        return v
      }
      case 6: {
        const v = file.readFloatLE(at)
        at += 4
        return v
      }
      case 7:
        return file[at++] === 1
      case 8:
        return string()
      default:
        throw new Error(`type ${type} not read by this test`)
    }
  }
  const magic = file.toString('latin1', 0, 4)
  at = 4
  const version = u32()
  const tensorCount = u64()
  const kvCount = u64()
  const metadata = new Map<string, unknown>()
  for (let i = 0; i < kvCount; i++) {
    const key = string()
    const type = u32()
    if (type === 9) {
      const itemType = u32()
      const count = u64()
      metadata.set(
        key,
        Array.from({ length: count }, () => scalar(itemType)),
      )
    } else metadata.set(key, scalar(type))
  }
  const tensors: { name: string; dims: number[]; type: number; offset: number }[] = []
  for (let i = 0; i < tensorCount; i++) {
    const name = string()
    const dims = Array.from({ length: u32() }, () => u64())
    tensors.push({ name, dims, type: u32(), offset: u64() })
  }
  const alignment = (metadata.get('general.alignment') as number | undefined) ?? 32
  const dataStart = Math.ceil(at / alignment) * alignment
  return { magic, version, metadata, tensors, dataStart }
}

test('a GGUF round-trips: header, typed metadata, aligned tensor data', () => {
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.alignment', { type: 'uint32', value: 64 }],
    ['x.flag', { type: 'bool', value: true }],
    ['x.list', { type: 'array', itemType: 'int32', items: [-1, 2, 3] }],
  ])
  const a = Float32Array.from([1, 2, 3])
  const b = Float32Array.from([4, 5, 6, 7, 8, 9])
  const file = encodeGguf(metadata, [
    { name: 'a', dims: [3], data: a },
    { name: 'b', dims: [3, 2], data: b },
  ])
  const read = readGguf(file)
  expect(read.magic).toBe('GGUF')
  expect(read.version).toBe(3)
  expect(read.metadata.get('general.architecture')).toBe('llama')
  expect(read.metadata.get('x.flag')).toBe(true)
  expect(read.metadata.get('x.list')).toEqual([-1, 2, 3])
  expect(read.tensors.map((t) => [t.name, t.dims, t.type, t.offset])).toEqual([
    ['a', [3], 0, 0],
    ['b', [3, 2], 0, 64],
  ])
  expect(read.dataStart % 64).toBe(0)
  const at = (offset: number, n: number) =>
    Array.from({ length: n }, (_, i) => file.readFloatLE(read.dataStart + offset + i * 4))
  expect(at(0, 3)).toEqual([1, 2, 3])
  expect(at(64, 6)).toEqual([4, 5, 6, 7, 8, 9])
  expect(file.length).toBe(read.dataStart + 64 + 64)
})

test('a tensor whose data does not fill its dims is refused', () => {
  expect(() => encodeGguf(new Map(), [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }])).toThrow(
    /need 4 values/,
  )
})

test('the tiny model is a llama GGUF with a ChatML template, byte fallback and every block tensor', () => {
  const read = readGguf(tinyGguf({ blockCount: 3 }))
  expect(read.metadata.get('general.architecture')).toBe('llama')
  expect(read.metadata.get('tokenizer.chat_template')).toBe(TINY_GGUF_CHAT_TEMPLATE)
  const tokens = read.metadata.get('tokenizer.ggml.tokens') as string[]
  expect(tokens).toContain('<0x0A>')
  expect(tokens[read.metadata.get('tokenizer.ggml.eos_token_id') as number]).toBe('<|im_end|>')
  expect(read.metadata.get('llama.vocab_size')).toBe(tokens.length)
  const names = read.tensors.map((t) => t.name)
  expect(names.filter((n) => n.startsWith('blk.2.'))).toHaveLength(9)
  expect(read.tensors.find((t) => t.name === 'token_embd.weight')?.dims).toEqual([64, tokens.length])
})

test('the same options write the same bytes; another seed other weights', () => {
  expect(tinyGguf({ seed: 7 }).equals(tinyGguf({ seed: 7 }))).toBe(true)
  expect(tinyGguf({ seed: 7 }).equals(tinyGguf({ seed: 8 }))).toBe(false)
  expect(() => tinyGguf({ embeddingLength: 24 })).toThrow(/at least 32/)
})
