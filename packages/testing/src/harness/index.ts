export { type AnsweringStandIn, answeringStandIn } from './answering-stand-in.ts'
export { asEnv } from './as-env.ts'
export { type AuthHeaders, buildTestApp, type TestApp, type TestAppOptions } from './build-test-app.ts'
export { type FakeClock, fakeClock } from './fake-clock.ts'
export {
  closedPortUrl,
  echo,
  type HttpStandIn,
  type ReceivedRequest,
  type StandInHandler,
  startHttpStandIn,
} from './http-stand-in.ts'
export { alice, bob, eve, session } from './identities.ts'
export { ignoreSharedAdminConfig } from './isolated-router.ts'
export { recordEvents } from './record-events.ts'
export { type StandIn, type StandInOptions, standIn } from './stand-in.ts'
export {
  answerKeyResolution,
  answerMemberResolution,
  KEY_RESOLUTION_PATH,
  MEMBER_RESOLUTION_PATH,
  memberKey,
} from './stand-in-admin.ts'
