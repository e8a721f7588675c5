// A GGUF (version 3) serializer: typed metadata and F32 tensors, laid out as llama.cpp's
// gguf.cpp reads them. Little-endian throughout; tensor data aligned to `general.alignment`.

/** Metadata value types, as numbered by the GGUF spec. */
export const GgufValueType = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const

type ScalarType = Exclude<keyof typeof GgufValueType, 'array'>

/** One metadata value; arrays hold one scalar type. */
export type GgufValue =
  | {
      type: 'uint32' | 'int32' | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'float64'
      value: number
    }
  | { type: 'uint64' | 'int64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: ScalarType; items: readonly (number | bigint | boolean | string)[] }

export interface GgufTensor {
  name: string
  /** ggml order: dims[0] is the contiguous (innermost) dimension. */
  dims: readonly number[]
  data: Float32Array
}

/** ggml's type number for F32 tensors, the only kind this writer emits. */
const GGML_TYPE_F32 = 0
const MAGIC = 0x46554747 // "GGUF" read as a little-endian u32
const VERSION = 3

export const u32 = (value: number): GgufValue => ({ type: 'uint32', value })
export const f32 = (value: number): GgufValue => ({ type: 'float32', value })
export const str = (value: string): GgufValue => ({ type: 'string', value })
export const bool = (value: boolean): GgufValue => ({ type: 'bool', value })

/** Growable little-endian byte buffer. */
class ByteSink {
  #buffer = Buffer.alloc(1 << 16)
  length = 0

  #reserve(bytes: number): void {
    if (this.length + bytes <= this.#buffer.length) return
    let size = this.#buffer.length * 2
    while (size < this.length + bytes) size *= 2
    const next = Buffer.alloc(size)
    this.#buffer.copy(next, 0, 0, this.length)
    this.#buffer = next
  }

  u8(value: number): void {
    this.#reserve(1)
    this.#buffer.writeUInt8(value, this.length)
    this.length += 1
  }
  i8(value: number): void {
    this.#reserve(1)
    this.#buffer.writeInt8(value, this.length)
    this.length += 1
  }
  u16(value: number): void {
    this.#reserve(2)
    this.#buffer.writeUInt16LE(value, this.length)
    this.length += 2
  }
  i16(value: number): void {
    this.#reserve(2)
    this.#buffer.writeInt16LE(value, this.length)
    this.length += 2
  }
  u32(value: number): void {
    this.#reserve(4)
    this.#buffer.writeUInt32LE(value, this.length)
    this.length += 4
  }
  i32(value: number): void {
    this.#reserve(4)
    this.#buffer.writeInt32LE(value, this.length)
    this.length += 4
  }
  f32(value: number): void {
    this.#reserve(4)
    this.#buffer.writeFloatLE(value, this.length)
    this.length += 4
  }
  f64(value: number): void {
    this.#reserve(8)
    this.#buffer.writeDoubleLE(value, this.length)
    this.length += 8
  }
  u64(value: bigint | number): void {
    this.#reserve(8)
    this.#buffer.writeBigUInt64LE(BigInt(value), this.length)
    this.length += 8
  }
  i64(value: bigint): void {
    this.#reserve(8)
    this.#buffer.writeBigInt64LE(value, this.length)
    this.length += 8
  }
  bytes(value: Uint8Array): void {
    this.#reserve(value.length)
    this.#buffer.set(value, this.length)
    this.length += value.length
  }
  /** A gguf_string: u64 byte length, then UTF-8 bytes, no terminator. */
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8')
    this.u64(bytes.length)
    this.bytes(bytes)
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment
    this.#reserve(pad)
    this.length += pad // Buffer.alloc zero-fills, so padding is zeros.
  }
  result(): Buffer {
    return this.#buffer.subarray(0, this.length)
  }
}

const scalarWriters: Record<ScalarType, (sink: ByteSink, value: number | bigint | boolean | string) => void> =
  {
    uint8: (sink, value) => sink.u8(value as number),
    int8: (sink, value) => sink.i8(value as number),
    uint16: (sink, value) => sink.u16(value as number),
    int16: (sink, value) => sink.i16(value as number),
    uint32: (sink, value) => sink.u32(value as number),
    int32: (sink, value) => sink.i32(value as number),
    float32: (sink, value) => sink.f32(value as number),
    float64: (sink, value) => sink.f64(value as number),
    uint64: (sink, value) => sink.u64(value as bigint),
    int64: (sink, value) => sink.i64(value as bigint),
    bool: (sink, value) => sink.u8(value ? 1 : 0),
    string: (sink, value) => sink.string(value as string),
  }

function writeScalar(sink: ByteSink, type: ScalarType, value: number | bigint | boolean | string): void {
  scalarWriters[type](sink, value)
}

/**
 * Serializes a whole GGUF file. Metadata keys are written in insertion order; `general.alignment`
 * (default 32) decides where the data section and each tensor start.
 */
export function encodeGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const alignmentValue = metadata.get('general.alignment')
  const alignment = alignmentValue?.type === 'uint32' ? alignmentValue.value : 32
  const sink = new ByteSink()
  sink.u32(MAGIC)
  sink.u32(VERSION)
  sink.u64(tensors.length)
  sink.u64(metadata.size)
  for (const [key, value] of metadata) {
    sink.string(key)
    sink.u32(GgufValueType[value.type])
    if (value.type === 'array') {
      sink.u32(GgufValueType[value.itemType])
      sink.u64(value.items.length)
      for (const item of value.items) writeScalar(sink, value.itemType, item)
    } else {
      writeScalar(sink, value.type, value.value)
    }
  }
  let offset = 0
  for (const tensor of tensors) {
    const elements = tensor.dims.reduce((a, b) => a * b, 1)
    if (elements !== tensor.data.length)
      throw new Error(
        `tensor ${tensor.name}: dims ${tensor.dims.join('x')} need ${elements} values, got ${tensor.data.length}`,
      )
    sink.string(tensor.name)
    sink.u32(tensor.dims.length)
    for (const dim of tensor.dims) sink.u64(dim)
    sink.u32(GGML_TYPE_F32)
    sink.u64(offset)
    offset += Math.ceil(tensor.data.byteLength / alignment) * alignment
  }
  sink.padTo(alignment)
  for (const tensor of tensors) {
    sink.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength))
    sink.padTo(alignment)
  }
  return sink.result()
}
