// A pristine PGlite data dir (initdb done, pgvector available), made once at install time
// (`postinstall`) so that a new data dir is unpacked from it instead of running initdb, which costs
// several seconds of CPU on every first start. Keyed by the PGlite and pgvector versions: an upgrade
// reinstalls, and a stale or missing template only means initdb runs as before.
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

async function versionOf(pkg: string): Promise<string> {
  // The packages export no package.json; it sits above their dist/ entry.
  const entry = fileURLToPath(import.meta.resolve(pkg))
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8'))
  return String(manifest.version)
}

/** Where this install's template is (node_modules/.cache: removed with the install it belongs to). */
export async function templatePath(): Promise<string> {
  const [pglite, pgvector] = await Promise.all([
    versionOf('@electric-sql/pglite'),
    versionOf('@electric-sql/pglite-pgvector'),
  ])
  const cache = fileURLToPath(new URL('../node_modules/.cache/switchyard/', import.meta.url))
  return join(cache, `pglite-${pglite}-pgvector-${pgvector}.tar.gz`)
}

/** The template's path if this install has one. */
export async function findTemplate(): Promise<string | undefined> {
  const path = await templatePath()
  return access(path).then(
    () => path,
    () => undefined,
  )
}

/** Writes the template unless it exists; returns its path. */
export async function ensureTemplate(): Promise<string> {
  const path = await templatePath()
  if (await findTemplate()) return path
  const { PGlite } = await import('@electric-sql/pglite')
  const { vector } = await import('@electric-sql/pglite-pgvector')
  const db = await PGlite.create({ extensions: { vector } })
  try {
    const dump = await db.dumpDataDir('gzip')
    await mkdir(dirname(path), { recursive: true })
    // Written whole, then renamed: a reader never sees half a template.
    const partial = `${path}.${process.pid}.partial`
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await rename(partial, path)
  } finally {
    await db.close()
  }
  return path
}

if (import.meta.main) {
  // Run by `postinstall`: a failure here must not fail the install; start falls back to initdb.
  const started = performance.now()
  try {
    const path = await ensureTemplate()
    console.log(
      `switchyard: PGlite template ready in ${Math.round(performance.now() - started)} ms (${path})`,
    )
  } catch (error) {
    console.warn(`switchyard: no PGlite template (first starts will run initdb): ${(error as Error).message}`)
  }
}
