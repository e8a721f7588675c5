export { Duration, type DurationOptions, parseDuration } from './duration.ts'
export {
  ConfigError,
  type ConfigIssue,
  configFileKey,
  type LoadConfigOptions,
  loadConfig,
} from './load-config.ts'
export { Url, type UrlOptions } from './url.ts'
