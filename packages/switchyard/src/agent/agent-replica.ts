// Test support: one agent replica in a process of its own, with the test tools (one needs
// approval), on the backends its environment names; a test can SIGKILL it. Prints
// `agent replica listening on <url>` once it listens.
import { agentService, createAgentPlugin } from '@switchyard/agent'
import { testTools } from '@switchyard/agent/testing'
import { defineService } from '@switchyard/kit'
import { start } from '@switchyard/runtime'

const agent = defineService({ ...agentService, plugin: createAgentPlugin({ tools: testTools().source }) })
const switchyard = await start({
  target: 'agent',
  services: { agent },
  env: process.env as Record<string, string>,
})
const address = switchyard.app.server.address()
const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : switchyard.url
process.stdout.write(`agent replica listening on ${url}\n`)
