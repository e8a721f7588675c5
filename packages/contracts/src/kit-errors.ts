/**
 * The codes the kit answers with in every service (`KIT_ERR_*`): the kit declares its errors with
 * these, and a caller tells them from the service's own codes (a kit 404 is "no such route": the
 * service it reached is not the one it meant).
 */
export const kitErrorCodes = {
  Validation: 'KIT_ERR_VALIDATION',
  InvalidJson: 'KIT_ERR_INVALID_JSON',
  NestingTooDeep: 'KIT_ERR_NESTING_TOO_DEEP',
  Unauthenticated: 'KIT_ERR_UNAUTHENTICATED',
  MissingScope: 'KIT_ERR_MISSING_SCOPE',
  NotFound: 'KIT_ERR_NOT_FOUND',
  BodyTooLarge: 'KIT_ERR_BODY_TOO_LARGE',
  UnsupportedMediaType: 'KIT_ERR_UNSUPPORTED_MEDIA_TYPE',
  Internal: 'KIT_ERR_INTERNAL',
  ShuttingDown: 'KIT_ERR_SHUTTING_DOWN',
} as const
