import { isoOf, type Queryable } from '../db/sql.ts'
import type { Prompt, PromptVersion } from './schemas.ts'

interface PromptRow extends Record<string, unknown> {
  id: string
  name: string
  description: string | null
  latest_version: number | null
  labels: Record<string, number> | null
  created_at: Date
}

interface VersionRow extends Record<string, unknown> {
  name: string
  version: number
  template: string
  variables: string[]
  model_config: Record<string, unknown>
  labels: string[] | null
  created_by: string | null
  created_at: Date
}

const toPrompt = (row: PromptRow): Prompt => ({
  id: row.id,
  name: row.name,
  description: row.description,
  latestVersion: row.latest_version ?? 0,
  labels: row.labels ?? {},
  createdAt: isoOf(row.created_at),
})

const toVersion = (row: VersionRow): PromptVersion => ({
  name: row.name,
  version: row.version,
  template: row.template,
  variables: row.variables,
  modelConfig: row.model_config,
  labels: row.labels ?? [],
  createdBy: row.created_by,
  createdAt: isoOf(row.created_at),
})

const promptsQuery = `
  SELECT p.id, p.name, p.description, p.created_at,
         (SELECT max(v.version) FROM prompt_versions v WHERE v.prompt_id = p.id) AS latest_version,
         (SELECT jsonb_object_agg(l.label, l.version) FROM prompt_labels l WHERE l.prompt_id = p.id) AS labels
    FROM prompts p`

const versionsQuery = `
  SELECT p.name, v.version, v.template, v.variables, v.model_config, v.created_by, v.created_at,
         (SELECT array_agg(l.label ORDER BY l.label) FROM prompt_labels l
           WHERE l.prompt_id = v.prompt_id AND l.version = v.version) AS labels
    FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id`

/**
 * Prompts of one org: every function takes the org id, and every statement filters on it.
 * Versions are inserted, never updated: there is no update here, and the database refuses one.
 */
export const promptsRepository = {
  async list(db: Queryable, orgId: string): Promise<Prompt[]> {
    const { rows } = await db.query<PromptRow>(`${promptsQuery} WHERE p.org_id = $1 ORDER BY p.name`, [orgId])
    return rows.map(toPrompt)
  },

  /** `lock` serializes version numbering and label moves on one prompt until the transaction ends. */
  async getByName(
    db: Queryable,
    orgId: string,
    name: string,
    options: { lock?: boolean } = {},
  ): Promise<Prompt | null> {
    if (options.lock) {
      await db.query('SELECT id FROM prompts WHERE org_id = $1 AND name = $2 FOR UPDATE', [orgId, name])
    }
    const { rows } = await db.query<PromptRow>(`${promptsQuery} WHERE p.org_id = $1 AND p.name = $2`, [
      orgId,
      name,
    ])
    return rows[0] ? toPrompt(rows[0]) : null
  },

  async insert(
    db: Queryable,
    orgId: string,
    prompt: { id: string; name: string; description: string | null; createdBy: string | null },
  ): Promise<void> {
    await db.query(
      'INSERT INTO prompts (id, org_id, name, description, created_by) VALUES ($1, $2, $3, $4, $5)',
      [prompt.id, orgId, prompt.name, prompt.description, prompt.createdBy],
    )
  },

  async insertVersion(
    db: Queryable,
    orgId: string,
    promptId: string,
    version: {
      version: number
      template: string
      variables: string[]
      modelConfig: Record<string, unknown>
      createdBy: string | null
    },
  ): Promise<void> {
    await db.query(
      `INSERT INTO prompt_versions (prompt_id, org_id, version, template, variables, model_config, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        promptId,
        orgId,
        version.version,
        version.template,
        version.variables,
        JSON.stringify(version.modelConfig),
        version.createdBy,
      ],
    )
  },

  async versions(db: Queryable, orgId: string, promptId: string): Promise<PromptVersion[]> {
    const { rows } = await db.query<VersionRow>(
      `${versionsQuery} WHERE v.org_id = $1 AND v.prompt_id = $2 ORDER BY v.version DESC`,
      [orgId, promptId],
    )
    return rows.map(toVersion)
  },

  async version(
    db: Queryable,
    orgId: string,
    promptId: string,
    version: number,
  ): Promise<PromptVersion | null> {
    const { rows } = await db.query<VersionRow>(
      `${versionsQuery} WHERE v.org_id = $1 AND v.prompt_id = $2 AND v.version = $3`,
      [orgId, promptId, version],
    )
    return rows[0] ? toVersion(rows[0]) : null
  },

  /** Points a label at a version; returns the version it pointed at before (null: new label). */
  async setLabel(
    db: Queryable,
    orgId: string,
    promptId: string,
    label: string,
    version: number,
    updatedBy: string | null,
  ): Promise<number | null> {
    const { rows } = await db.query<{ version: number }>(
      'SELECT version FROM prompt_labels WHERE org_id = $1 AND prompt_id = $2 AND label = $3',
      [orgId, promptId, label],
    )
    await db.query(
      `INSERT INTO prompt_labels (prompt_id, org_id, label, version, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (prompt_id, label) DO UPDATE SET version = excluded.version, updated_by = excluded.updated_by, updated_at = now()`,
      [promptId, orgId, label, version, updatedBy],
    )
    return rows[0]?.version ?? null
  },

  /** Returns the version the label pointed at, or null if there was no such label. */
  async removeLabel(db: Queryable, orgId: string, promptId: string, label: string): Promise<number | null> {
    const { rows } = await db.query<{ version: number }>(
      'DELETE FROM prompt_labels WHERE org_id = $1 AND prompt_id = $2 AND label = $3 RETURNING version',
      [orgId, promptId, label],
    )
    return rows[0]?.version ?? null
  },

  /** The version a label points at (or a version by number), by prompt name: what services render. */
  async resolve(
    db: Queryable,
    orgId: string,
    name: string,
    target: { label: string } | { version: number },
  ): Promise<PromptVersion | null> {
    const { rows } =
      'label' in target
        ? await db.query<VersionRow>(
            `${versionsQuery} JOIN prompt_labels pl ON pl.prompt_id = v.prompt_id AND pl.version = v.version
              WHERE p.org_id = $1 AND p.name = $2 AND pl.label = $3`,
            [orgId, name, target.label],
          )
        : await db.query<VersionRow>(
            `${versionsQuery} WHERE p.org_id = $1 AND p.name = $2 AND v.version = $3`,
            [orgId, name, target.version],
          )
    return rows[0] ? toVersion(rows[0]) : null
  },
}
