export { encodeGguf, type GgufTensor, type GgufValue, GgufValueType } from './gguf-writer.ts'
export {
  TINY_GGUF_ANSWER,
  TINY_GGUF_CHAT_TEMPLATE,
  type TinyGgufOptions,
  tinyGguf,
  writeTinyGguf,
} from './tiny-model.ts'
