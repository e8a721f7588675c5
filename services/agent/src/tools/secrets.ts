import type { ToolSecret } from './config.ts'
import { toolErrors } from './errors.ts'
import { ToolError } from './tool.ts'

/** Which secret an org tool sends, and in which header: what a row stores instead of the value. */
export interface SecretRef {
  name: string
  /** Lower-case header name; default `authorization`. */
  header: string
  /** Written before the value (`Bearer `); default empty. */
  prefix: string
}

export type Secrets = Readonly<Record<string, ToolSecret>>

/**
 * Why `orgId` may not send secret `ref` to `url`, or null. Checked when a tool is saved (a 400)
 * and again when it is called, since the deployment's secrets may have changed in between.
 */
export function secretRefusal(secrets: Secrets, ref: SecretRef, orgId: string, url: URL): string | null {
  const secret = Object.hasOwn(secrets, ref.name) ? secrets[ref.name] : undefined
  if (secret === undefined || (secret.orgs !== undefined && !secret.orgs.includes(orgId))) {
    return `no secret named ${ref.name}`
  }
  if (!secret.origins.some((origin) => URL.canParse(origin) && new URL(origin).origin === url.origin))
    return `secret ${ref.name} may not be sent to ${url.origin}`
  return null
}

/** The header carrying the secret, for a call to `url`. */
export function secretHeader(
  secrets: Secrets,
  ref: SecretRef,
  orgId: string,
  url: URL,
): Record<string, string> {
  const refused = secretRefusal(secrets, ref, orgId, url)
  if (refused !== null) throw new ToolError(refused)
  return { [ref.header]: `${ref.prefix}${secrets[ref.name]?.value}` }
}

/** A secret reference as a request gives it, with its defaults, checked for this org and URL (else 400). */
export function checkedSecretRef(
  secrets: Secrets,
  input: { name: string; header?: string; prefix?: string } | undefined,
  orgId: string,
  url: string,
): SecretRef | null {
  if (input === undefined) return null
  const ref = {
    name: input.name,
    header: (input.header ?? 'authorization').toLowerCase(),
    prefix: input.prefix ?? '',
  }
  const refused = secretRefusal(secrets, ref, orgId, new URL(url))
  if (refused !== null) throw new toolErrors.InvalidSecret(refused)
  return ref
}
