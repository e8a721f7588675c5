import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AdminConfig, bootstrapIfEmpty } from '@switchyard/admin'
import { loadConfig } from '@switchyard/config'
import type { SqlPool } from '@switchyard/kit'
import { RuntimeConfig, resolveCredentialsFile } from '@switchyard/runtime'

type Env = Readonly<Record<string, string | undefined>>

/** The org and owner a first start makes when ADMIN_BOOTSTRAP_* name none. */
export const localOwner = { orgName: 'local', ownerEmail: 'owner@localhost' } as const

/**
 * `start` (all) bootstraps itself, after the database opened (see firstStart): admin's own start-time
 * bootstrap would make the owner first and log no key, leaving a laptop user without a way in.
 */
export function withoutAdminBootstrap(env: Env): Env {
  const { ADMIN_BOOTSTRAP_ORG: _org, ADMIN_BOOTSTRAP_OWNER_EMAIL: _email, ...rest } = env
  return rest
}

export interface FirstStartOptions {
  sql: SqlPool
  env: Env
  homeDir: string
  stderr: (text: string) => void
}

/**
 * The first `switchyard start` (all) on an empty database: makes an org and its owner (ADMIN_BOOTSTRAP_*
 * or `local` / owner@localhost), saves the owner key to the credentials file (0600, its folder 0700)
 * and prints it once. With NODE_ENV=production the key is only saved, not printed. Later starts find
 * an org and do nothing. Returns the file written, or null.
 */
export async function firstStart({ sql, env, homeDir, stderr }: FirstStartOptions): Promise<string | null> {
  const admin = loadConfig(AdminConfig, env)
  const runtime = loadConfig(RuntimeConfig, env)
  const owner = {
    orgName: admin.ADMIN_BOOTSTRAP_ORG ?? localOwner.orgName,
    ownerEmail: admin.ADMIN_BOOTSTRAP_OWNER_EMAIL ?? localOwner.ownerEmail,
  }
  const made = await bootstrapIfEmpty(sql, owner)
  if (made === null) return null
  const file = resolveCredentialsFile(runtime, homeDir)
  // The default file is in the data folder, which holds the database too: only its user may enter it.
  await saveCredentials(
    file,
    runtime.SWITCHYARD_CREDENTIALS_FILE === undefined,
    [
      `# Switchyard owner API key of org "${owner.orgName}" (${made.orgId}), owner ${owner.ownerEmail}`,
      `# made by the first start on ${new Date().toISOString()}; use it as: Authorization: Bearer $SWITCHYARD_API_KEY`,
      `SWITCHYARD_API_KEY=${made.key}`,
      '',
    ].join('\n'),
  )
  const shown = env.NODE_ENV === 'production' ? '(not printed with NODE_ENV=production)' : made.key
  stderr(
    [
      '',
      `First start: created org "${owner.orgName}" with owner ${owner.ownerEmail}.`,
      `Owner API key (printed once; saved in ${file}, readable only by you): ${shown}`,
      'Lost it? `switchyard keys create --email <owner email>` makes another (with switchyard stopped).',
      '',
    ].join('\n'),
  )
  return file
}

/** Written whole with mode 0600, then renamed over any old file, so no reader sees it half or open. */
async function saveCredentials(file: string, ownFolder: boolean, text: string): Promise<void> {
  const folder = dirname(file)
  // A folder made here is 0700; an existing one the operator named keeps its mode.
  await mkdir(folder, { recursive: true, mode: 0o700 })
  if (ownFolder) await chmod(folder, 0o700)
  const partial = `${file}.${process.pid}.partial`
  await writeFile(partial, text, { mode: 0o600 })
  await rename(partial, file)
}
