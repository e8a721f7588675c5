// What a test needs to run a throwaway server of its own next to the shared ones: a free port, and
// a CA with a server certificate for 127.0.0.1 (made by openssl, valid one day).
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A TCP port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', resolve)
  })
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export interface TestCertificates {
  /** The CA's certificate (PEM file): what a client trusts. */
  ca: string
  /** The server's certificate and key (PEM files), for 127.0.0.1. */
  cert: string
  key: string
}

/**
 * Makes a CA in `dir` and a server certificate for IP 127.0.0.1 signed by it, the server's files
 * in `serverDir` (default `dir`: PostgreSQL wants them in its data folder).
 */
export async function makeTestCertificates(dir: string, serverDir = dir): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const certs = {
    ca: file('ca.crt'),
    cert: join(serverDir, 'server.crt'),
    key: join(serverDir, 'server.key'),
  }
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    certs.ca,
    '-days',
    '1',
    '-subj',
    '/CN=switchyard test CA',
  ])
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    certs.key,
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ])
  await writeFile(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    certs.ca,
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    certs.cert,
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
  ])
  return certs
}
