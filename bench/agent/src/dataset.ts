// A routing dataset: `train.jsonl` and `test.jsonl`, one `{"text","label"}` a line. Each label is
// a specialist; its examples come from the train split only, evenly spaced through that label's
// lines (files grouped by sub-intent, like CLINC150's, then give every sub-intent its share).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface Utterance {
  text: string
  label: string
}

export interface Specialist {
  id: string
  name: string
  description: string
  examples: string[]
}

export async function readSplit(dir: string, split: 'train' | 'test'): Promise<Utterance[]> {
  const text = await readFile(join(dir, `${split}.jsonl`), 'utf8')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const value = JSON.parse(line) as Partial<Utterance>
      if (typeof value.text !== 'string' || typeof value.label !== 'string')
        throw new Error(`${split}.jsonl line ${i + 1}: want {"text","label"}`)
      return { text: value.text, label: value.label }
    })
}

/** `count` items spread evenly over `items` (all of them when there are fewer). */
export function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items]
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)] as T)
}

/** One specialist per label, described by its label alone, with `perLabel` train examples. */
export function specialists(train: readonly Utterance[], perLabel: number): Specialist[] {
  const byLabel = new Map<string, string[]>()
  for (const { text, label } of train) byLabel.set(label, [...(byLabel.get(label) ?? []), text])
  return [...byLabel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, texts]) => ({
      id: `agent_${label}`,
      name: label,
      description: `handles requests about ${label.replaceAll('_', ' ')}`,
      examples: evenlySpaced(texts, perLabel),
    }))
}

/** A seeded shuffle (mulberry32 + Fisher-Yates): the same sample for the same seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}
