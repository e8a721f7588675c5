// The tokenizer the llm-router counts usage with (gpt-tokenizer's o200k_base), so that a chunk's
// token count is the one the router bills. Loaded on first need: its ranks are a few MB.
import type { CountTokens } from './chunk.ts'

let loading: Promise<CountTokens> | undefined
const noSpecial = { disallowedSpecial: new Set<string>() }

export function loadTokenCounter(): Promise<CountTokens> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then(
    (module) => (text: string) => (text === '' ? 0 : module.countTokens(text, noSpecial)),
  )
  return loading
}
