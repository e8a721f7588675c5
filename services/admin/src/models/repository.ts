import { isoOf, num, type Queryable } from '../db/sql.ts'
import type { Deployment, Model, NewDeployment, Price, UpdateDeployment, UpdateModel } from './schemas.ts'

// The catalog is platform-wide (one llm-router serves every org), so these statements take no
// org id: there is no tenant row here. Who may change it is decided by the routes (operator only).

interface ModelRow extends Record<string, unknown> {
  alias: string
  description: string | null
  strategy: Model['strategy']
  listed: boolean
  fallbacks: string[]
  created_at: Date
  updated_at: Date
  input_per_million: string | null
  output_per_million: string | null
  effective_from: Date | null
}

interface DeploymentRow extends Record<string, unknown> {
  id: string
  alias: string
  provider: string
  base_url: string | null
  upstream_model: string
  weight: number
  max_concurrency: number | null
  api_key_file: string | null
  options: Record<string, unknown>
}

const toDeployment = (row: DeploymentRow): Deployment => ({
  id: row.id,
  provider: row.provider,
  baseUrl: row.base_url,
  model: row.upstream_model,
  weight: row.weight,
  maxConcurrency: row.max_concurrency,
  apiKeyFile: row.api_key_file,
  options: row.options,
})

const toPrice = (row: {
  input_per_million: string
  output_per_million: string
  effective_from: Date
}): Price => ({
  inputPerMillion: num(row.input_per_million),
  outputPerMillion: num(row.output_per_million),
  effectiveFrom: isoOf(row.effective_from),
})

/** Each model with the price in force now (the latest effective_from not in the future). */
const modelsQuery = `
  SELECT m.alias, m.description, m.strategy, m.listed, m.fallbacks, m.created_at, m.updated_at,
         p.input_per_million::text, p.output_per_million::text, p.effective_from
    FROM models m
    LEFT JOIN LATERAL (
      SELECT input_per_million, output_per_million, effective_from FROM model_prices
       WHERE alias = m.alias AND effective_from <= now() ORDER BY effective_from DESC LIMIT 1
    ) p ON true`

const deploymentColumns =
  'id, alias, provider, base_url, upstream_model, weight, max_concurrency, api_key_file, options'

export const modelsRepository = {
  async list(db: Queryable, filter: { alias?: string } = {}): Promise<Model[]> {
    const { rows } = await db.query<ModelRow>(
      `${modelsQuery} WHERE ($1::text IS NULL OR m.alias = $1) ORDER BY m.alias`,
      [filter.alias ?? null],
    )
    const deployments = await db.query<DeploymentRow>(
      `SELECT ${deploymentColumns} FROM model_deployments WHERE ($1::text IS NULL OR alias = $1) ORDER BY alias, id`,
      [filter.alias ?? null],
    )
    return rows.map((row) => ({
      alias: row.alias,
      description: row.description,
      strategy: row.strategy,
      listed: row.listed,
      fallbacks: row.fallbacks,
      price:
        row.effective_from === null
          ? null
          : toPrice(row as { input_per_million: string; output_per_million: string; effective_from: Date }),
      deployments: deployments.rows.filter((d) => d.alias === row.alias).map(toDeployment),
      createdAt: isoOf(row.created_at),
      updatedAt: isoOf(row.updated_at),
    }))
  },

  async get(db: Queryable, alias: string): Promise<Model | null> {
    return (await modelsRepository.list(db, { alias }))[0] ?? null
  },

  async insert(
    db: Queryable,
    model: {
      alias: string
      description: string | null
      strategy: string
      listed: boolean
      fallbacks: string[]
    },
  ): Promise<void> {
    await db.query(
      'INSERT INTO models (alias, description, strategy, listed, fallbacks) VALUES ($1, $2, $3, $4, $5)',
      [model.alias, model.description, model.strategy, model.listed, model.fallbacks],
    )
  },

  async update(db: Queryable, alias: string, change: UpdateModel): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE models SET
         description = CASE WHEN $2 THEN $3 ELSE description END,
         strategy = coalesce($4, strategy),
         listed = coalesce($5, listed),
         fallbacks = coalesce($6, fallbacks),
         updated_at = now()
       WHERE alias = $1`,
      [
        alias,
        change.description !== undefined,
        change.description ?? null,
        change.strategy ?? null,
        change.listed ?? null,
        change.fallbacks ?? null,
      ],
    )
    return (rowCount ?? 0) > 0
  },

  async remove(db: Queryable, alias: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM models WHERE alias = $1', [alias])
    return (rowCount ?? 0) > 0
  },

  /** Aliases that name `alias` as a fallback. */
  async fallbackUsers(db: Queryable, alias: string): Promise<string[]> {
    const { rows } = await db.query<{ alias: string }>(
      'SELECT alias FROM models WHERE $1 = ANY (fallbacks) AND alias <> $1 ORDER BY alias',
      [alias],
    )
    return rows.map((row) => row.alias)
  },

  /** Of `aliases`, those not in the catalog. */
  async missing(db: Queryable, aliases: string[]): Promise<string[]> {
    if (aliases.length === 0) return []
    const { rows } = await db.query<{ alias: string }>(
      'SELECT alias FROM models WHERE alias = ANY ($1::text[])',
      [aliases],
    )
    const found = new Set(rows.map((row) => row.alias))
    return aliases.filter((alias) => !found.has(alias))
  },

  async insertDeployment(db: Queryable, alias: string, d: NewDeployment): Promise<void> {
    await db.query(
      `INSERT INTO model_deployments (id, alias, provider, base_url, upstream_model, weight, max_concurrency, api_key_file, options)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        d.id,
        alias,
        d.provider,
        d.baseUrl ?? null,
        d.model,
        d.weight,
        d.maxConcurrency ?? null,
        d.apiKeyFile ?? null,
        JSON.stringify(d.options),
      ],
    )
  },

  async updateDeployment(
    db: Queryable,
    alias: string,
    id: string,
    change: UpdateDeployment,
  ): Promise<boolean> {
    // A field absent from the change keeps its value; null clears a nullable one.
    const set = (field: keyof UpdateDeployment) => change[field] !== undefined
    const { rowCount } = await db.query(
      `UPDATE model_deployments SET
         provider = CASE WHEN $3 THEN $4 ELSE provider END,
         base_url = CASE WHEN $5 THEN $6 ELSE base_url END,
         upstream_model = CASE WHEN $7 THEN $8 ELSE upstream_model END,
         weight = CASE WHEN $9 THEN $10::integer ELSE weight END,
         max_concurrency = CASE WHEN $11 THEN $12::integer ELSE max_concurrency END,
         api_key_file = CASE WHEN $13 THEN $14 ELSE api_key_file END,
         options = CASE WHEN $15 THEN $16::jsonb ELSE options END,
         updated_at = now()
       WHERE alias = $1 AND id = $2`,
      [
        alias,
        id,
        set('provider'),
        change.provider ?? null,
        set('baseUrl'),
        change.baseUrl ?? null,
        set('model'),
        change.model ?? null,
        set('weight'),
        change.weight ?? null,
        set('maxConcurrency'),
        change.maxConcurrency ?? null,
        set('apiKeyFile'),
        change.apiKeyFile ?? null,
        set('options'),
        JSON.stringify(change.options ?? {}),
      ],
    )
    return (rowCount ?? 0) > 0
  },

  async removeDeployment(db: Queryable, alias: string, id: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM model_deployments WHERE alias = $1 AND id = $2', [
      alias,
      id,
    ])
    return (rowCount ?? 0) > 0
  },

  async addPrice(
    db: Queryable,
    alias: string,
    price: { inputPerMillion: number; outputPerMillion: number; effectiveFrom: string | null },
  ): Promise<Price> {
    const { rows } = await db.query<{
      input_per_million: string
      output_per_million: string
      effective_from: Date
    }>(
      `INSERT INTO model_prices (alias, input_per_million, output_per_million, effective_from)
       VALUES ($1, $2, $3, coalesce($4::timestamptz, now()))
       RETURNING input_per_million::text, output_per_million::text, effective_from`,
      [alias, String(price.inputPerMillion), String(price.outputPerMillion), price.effectiveFrom],
    )
    return toPrice(rows[0] as { input_per_million: string; output_per_million: string; effective_from: Date })
  },

  /** Every price of an alias, oldest first: its whole schedule, past and planned. */
  async prices(db: Queryable, alias: string): Promise<Price[]> {
    const { rows } = await db.query<{
      input_per_million: string
      output_per_million: string
      effective_from: Date
    }>(
      `SELECT input_per_million::text, output_per_million::text, effective_from FROM model_prices
        WHERE alias = $1 ORDER BY effective_from`,
      [alias],
    )
    return rows.map(toPrice)
  },
}
