import { expect, test } from 'vitest'
import { startGateway, withKey } from '../gateway-under-test.ts'

test("the deployment that answered is named to the operator org's callers only, whatever a key's scopes", async () => {
  const gateway = await startGateway({ GATEWAY_OPERATOR_ORGS: ['org_operator'] })
  gateway.standIns['llm-router']?.answer((_request, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-switchyard-deployment': 'openai-eu-1',
      'x-switchyard-attempts': '1',
    })
    res.end('{}')
  })
  const user = withKey(gateway, { orgId: 'org_acme', scopes: ['chat:write', 'admin:read', 'admin:write'] })
  const operator = withKey(gateway, { orgId: 'org_operator', scopes: ['chat:write'] })
  const asUser = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: user.headers })
  expect(asUser.status).toBe(200)
  expect(asUser.headers.get('x-switchyard-deployment')).toBeNull()
  expect(asUser.headers.get('x-switchyard-attempts')).toBe('1')
  const asOperator = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: operator.headers,
  })
  expect(asOperator.headers.get('x-switchyard-deployment')).toBe('openai-eu-1')
})
