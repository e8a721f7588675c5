import type { AgentRunStatus, Identity } from '@switchyard/contracts'
import { type SqlPool, type SqlQueryable, transaction } from '@switchyard/kit'
import type { PendingCall, Run, RunError } from './run.ts'

interface RunRow extends Record<string, unknown> {
  id: string
  org_id: string
  identity: Identity
  agent: Run['agent']
  thread_id: string | null
  status: AgentRunStatus
  route: Record<string, unknown> | null
  messages: Run['messages']
  pending: PendingCall[]
  turns: number
  input_tokens: number
  output_tokens: number
  elapsed_ms: string | number
  output: string | null
  error: RunError | null
  created_at: Date
  finished_at: Date | null
}

const toRun = (row: RunRow): Run => ({
  id: row.id,
  orgId: row.org_id,
  identity: row.identity,
  agent: row.agent,
  threadId: row.thread_id,
  status: row.status,
  route: row.route,
  messages: row.messages,
  pending: row.pending,
  turns: row.turns,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  elapsedMs: Number(row.elapsed_ms),
  output: row.output,
  error: row.error,
  createdAt: row.created_at.getTime(),
  finishedAt: row.finished_at?.getTime() ?? null,
})

const columns = `id, org_id, identity, agent, thread_id, status, route, messages, pending, turns, input_tokens,
  output_tokens, elapsed_ms, output, error, created_at, finished_at`

/** What a step of the loop changes; written together so a resumed run sees a consistent state. */
export type RunProgress = Pick<
  Run,
  | 'status'
  | 'messages'
  | 'pending'
  | 'turns'
  | 'inputTokens'
  | 'outputTokens'
  | 'elapsedMs'
  | 'output'
  | 'error'
>

const at = (ms: number) => new Date(ms)

/** Runs and their steps. Every statement filters on org_id. */
export function runsRepository(pool: SqlPool) {
  const db: SqlQueryable = pool
  return {
    async insert(run: Run): Promise<void> {
      await db.query(
        `INSERT INTO runs (id, org_id, user_id, identity, agent_id, agent, thread_id, status, route, messages,
                           pending, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '[]', $11, $11)`,
        [
          run.id,
          run.orgId,
          run.identity.userId,
          JSON.stringify(run.identity),
          run.agent.id,
          JSON.stringify(run.agent),
          run.threadId,
          run.status,
          run.route === null ? null : JSON.stringify(run.route),
          JSON.stringify(run.messages),
          at(run.createdAt),
        ],
      )
    },

    async get(orgId: string, id: string): Promise<Run | null> {
      const { rows } = await db.query<RunRow>(`SELECT ${columns} FROM runs WHERE org_id = $1 AND id = $2`, [
        orgId,
        id,
      ])
      return rows[0] ? toRun(rows[0]) : null
    },

    /** Newest first, `limit + 1` rows at most (the caller learns `has_more`). */
    async list(orgId: string, query: { limit: number; after?: string; agentId?: string }): Promise<Run[]> {
      const { rows } = await db.query<RunRow>(
        `SELECT ${columns} FROM runs
          WHERE org_id = $1 AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR agent_id = $3)
          ORDER BY id DESC LIMIT $4`,
        [orgId, query.after ?? null, query.agentId ?? null, query.limit + 1],
      )
      return rows.map(toRun)
    },

    /**
     * Writes a step's outcome, only while the run is in `from` (a cancel that won the race stays);
     * false when it was not. A finished status stamps `finished_at`.
     */
    async save(
      run: Run,
      progress: RunProgress,
      nowMs: number,
      from: AgentRunStatus = 'running',
    ): Promise<boolean> {
      const finished = ['succeeded', 'failed', 'cancelled'].includes(progress.status)
      const { rowCount } = await db.query(
        `UPDATE runs SET status = $3, messages = $4, pending = $5, turns = $6, input_tokens = $7, output_tokens = $8,
                elapsed_ms = $9, output = $10, error = $11, updated_at = $12, finished_at = $13
          WHERE org_id = $1 AND id = $2 AND status = $14`,
        [
          run.orgId,
          run.id,
          progress.status,
          JSON.stringify(progress.messages),
          JSON.stringify(progress.pending),
          progress.turns,
          progress.inputTokens,
          progress.outputTokens,
          Math.round(progress.elapsedMs),
          progress.output,
          progress.error === null ? null : JSON.stringify(progress.error),
          at(nowMs),
          finished ? at(nowMs) : null,
          from,
        ],
      )
      return (rowCount ?? 0) > 0
    },

    async addStep(
      run: Run,
      seq: number,
      type: 'model' | 'tool',
      data: unknown,
      nowMs: number,
    ): Promise<void> {
      await db.query(
        `INSERT INTO run_steps (run_id, org_id, seq, type, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, seq) DO NOTHING`,
        [run.id, run.orgId, seq, type, JSON.stringify(data), at(nowMs)],
      )
    },

    async steps(
      orgId: string,
      runId: string,
    ): Promise<{ seq: number; type: string; data: unknown; createdAt: number }[]> {
      const { rows } = await db.query<{ seq: number; type: string; data: unknown; created_at: Date }>(
        'SELECT seq, type, data, created_at FROM run_steps WHERE org_id = $1 AND run_id = $2 ORDER BY seq',
        [orgId, runId],
      )
      return rows.map((r) => ({ seq: r.seq, type: r.type, data: r.data, createdAt: r.created_at.getTime() }))
    },

    /**
     * Records a human's decision on one pending call, under a row lock. Answers 'resume' to exactly
     * one caller: the one whose decision was the last missing one (the run goes back to running);
     * 'recorded' when others are still missing; 'not-found' when there is no such pending call.
     */
    async decide(
      orgId: string,
      runId: string,
      callId: string,
      decision: Pick<PendingCall, 'decision' | 'editedArguments' | 'reason'>,
      nowMs: number,
    ): Promise<'resume' | 'recorded' | 'not-found' | 'decided'> {
      return transaction(pool, async (tx) => {
        const { rows } = await tx.query<{ status: string; pending: PendingCall[] }>(
          'SELECT status, pending FROM runs WHERE org_id = $1 AND id = $2 FOR UPDATE',
          [orgId, runId],
        )
        const row = rows[0]
        const call = row?.pending.find((p) => p.callId === callId)
        if (row === undefined || row.status !== 'awaiting_approval' || call === undefined) return 'not-found'
        if (call.decision !== null) return 'decided'
        Object.assign(call, decision)
        const complete = row.pending.every((p) => p.decision !== null)
        await tx.query(
          'UPDATE runs SET pending = $3, status = $4, updated_at = $5 WHERE org_id = $1 AND id = $2',
          [orgId, runId, JSON.stringify(row.pending), complete ? 'running' : 'awaiting_approval', at(nowMs)],
        )
        return complete ? 'resume' : 'recorded'
      })
    },

    /** Cancels a run no loop runs (queued, or paused for approval); false when it is not one. */
    async cancelPaused(orgId: string, runId: string, nowMs: number): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE runs SET status = 'cancelled', updated_at = $3, finished_at = $3
          WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'awaiting_approval')`,
        [orgId, runId, at(nowMs)],
      )
      return (rowCount ?? 0) > 0
    },

    /** Deletes runs finished before `beforeMs` (their steps go with them); answers how many. */
    async deleteFinishedBefore(beforeMs: number): Promise<number> {
      const { rowCount } = await db.query('DELETE FROM runs WHERE finished_at < $1', [at(beforeMs)])
      return rowCount ?? 0
    },
  }
}

export type RunsRepository = ReturnType<typeof runsRepository>
