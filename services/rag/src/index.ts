export { RagConfig } from './config.ts'
export { type RagErrorCode, ragErrors } from './errors.ts'
export { ragPlugin } from './plugin.ts'
export { ragService } from './service.ts'
