import type { AgentRunStatus, Identity } from '@switchyard/contracts'
import { type SqlPool, type SqlQueryable, transaction } from '@switchyard/kit'
import type { PendingCall, Plan, Run, RunError } from './run.ts'

interface RunRow extends Record<string, unknown> {
  id: string
  org_id: string
  identity: Identity
  agent: Run['agent']
  parent_run_id: string | null
  thread_id: string | null
  status: AgentRunStatus
  route: Record<string, unknown> | null
  messages: Run['messages']
  pending: PendingCall[]
  plan: Plan | null
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
  // Runs stored before delegates existed have none.
  agent: { ...row.agent, delegates: row.agent.delegates ?? [] },
  parentRunId: row.parent_run_id,
  threadId: row.thread_id,
  status: row.status,
  route: row.route,
  messages: row.messages,
  pending: row.pending,
  plan: row.plan,
  turns: row.turns,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  elapsedMs: Number(row.elapsed_ms),
  output: row.output,
  error: row.error,
  createdAt: row.created_at.getTime(),
  finishedAt: row.finished_at?.getTime() ?? null,
})

const columns = `id, org_id, identity, agent, parent_run_id, thread_id, status, route, messages, pending, plan, turns,
  input_tokens, output_tokens, elapsed_ms, output, error, created_at, finished_at`

/** What a step of the loop changes; written together so a resumed run sees a consistent state. */
export type RunProgress = Pick<
  Run,
  | 'status'
  | 'messages'
  | 'pending'
  | 'plan'
  | 'turns'
  | 'inputTokens'
  | 'outputTokens'
  | 'elapsedMs'
  | 'output'
  | 'error'
>

/** Who runs a running run's loop, until when (epoch ms): renewed while it runs. */
export interface Lease {
  owner: string
  expiresAt: number
}

/** A stored step: a model turn, a tool call, or (a planner's) a child run that ended. */
export type StepType = 'model' | 'tool' | 'child'

const at = (ms: number) => new Date(ms)

/** Runs and their steps. Every statement filters on org_id. */
export function runsRepository(pool: SqlPool) {
  const db: SqlQueryable = pool
  return {
    /** A running run is stored with the lease of the replica that runs it. */
    async insert(run: Run, lease: Lease | null): Promise<void> {
      await db.query(
        `INSERT INTO runs (id, org_id, user_id, identity, agent_id, agent, thread_id, status, route, messages,
                           pending, created_at, updated_at, parent_run_id, plan, lease_owner, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '[]', $11, $11, $12, $13, $14, $15)`,
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
          run.parentRunId,
          run.plan === null ? null : JSON.stringify(run.plan),
          lease?.owner ?? null,
          lease === null ? null : at(lease.expiresAt),
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

    /** The child runs of a planner's run, in the order they started. */
    async children(orgId: string, parentRunId: string): Promise<Run[]> {
      const { rows } = await db.query<RunRow>(
        `SELECT ${columns} FROM runs WHERE org_id = $1 AND parent_run_id = $2 ORDER BY id`,
        [orgId, parentRunId],
      )
      return rows.map(toRun)
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
     * Writes a step's outcome, only while the run is in `from` (a cancel that won the race stays)
     * and, given an `owner`, while that replica holds its lease (one that lost it stops there);
     * false when it was not. A finished status stamps `finished_at`.
     */
    async save(
      run: Run,
      progress: RunProgress,
      nowMs: number,
      { from = 'running', owner = null }: { from?: AgentRunStatus; owner?: string | null } = {},
    ): Promise<boolean> {
      const finished = ['succeeded', 'failed', 'cancelled'].includes(progress.status)
      const { rowCount } = await db.query(
        `UPDATE runs SET status = $3, messages = $4, pending = $5, turns = $6, input_tokens = $7, output_tokens = $8,
                elapsed_ms = $9, output = $10, error = $11, updated_at = $12, finished_at = $13, plan = $15
          WHERE org_id = $1 AND id = $2 AND status = $14 AND ($16::text IS NULL OR lease_owner = $16)`,
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
          progress.plan === null ? null : JSON.stringify(progress.plan),
          owner,
        ],
      )
      return (rowCount ?? 0) > 0
    },

    async addStep(run: Run, seq: number, type: StepType, data: unknown, nowMs: number): Promise<void> {
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
      lease: Lease,
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
        // Running again with the deciding replica's lease, in the same write: no sweep takes it in between.
        await tx.query(
          `UPDATE runs SET pending = $3, status = $4, updated_at = $5,
                  lease_owner = CASE WHEN $4 = 'running' THEN $6 ELSE lease_owner END,
                  lease_expires_at = CASE WHEN $4 = 'running' THEN $7 ELSE lease_expires_at END
            WHERE org_id = $1 AND id = $2`,
          [
            orgId,
            runId,
            JSON.stringify(row.pending),
            complete ? 'running' : 'awaiting_approval',
            at(nowMs),
            lease.owner,
            at(lease.expiresAt),
          ],
        )
        return complete ? 'resume' : 'recorded'
      })
    },

    /**
     * Cancels a run no loop runs (queued, or paused for approval) with its unfinished children (a
     * paused planner's children run only inside its loop); answers the ids cancelled, none when the
     * run was not paused.
     */
    async cancelPaused(orgId: string, runId: string, nowMs: number): Promise<string[]> {
      return transaction(pool, async (tx) => {
        const { rowCount } = await tx.query(
          `UPDATE runs SET status = 'cancelled', updated_at = $3, finished_at = $3
            WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'awaiting_approval')`,
          [orgId, runId, at(nowMs)],
        )
        if ((rowCount ?? 0) === 0) return []
        const { rows } = await tx.query<{ id: string }>(
          `UPDATE runs SET status = 'cancelled', updated_at = $3, finished_at = $3
            WHERE org_id = $1 AND parent_run_id = $2 AND finished_at IS NULL
            RETURNING id`,
          [orgId, runId, at(nowMs)],
        )
        return [runId, ...rows.map((r) => r.id)]
      })
    },

    /**
     * A planner paused on its child's approval goes back to running, once: true for the one caller
     * that moved it (the one whose approval resumed the child).
     */
    async wake(orgId: string, runId: string, nowMs: number, lease: Lease): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE runs SET status = 'running', updated_at = $3, lease_owner = $4, lease_expires_at = $5
          WHERE org_id = $1 AND id = $2 AND status = 'awaiting_approval'`,
        [orgId, runId, at(nowMs), lease.owner, at(lease.expiresAt)],
      )
      return (rowCount ?? 0) > 0
    },

    /**
     * Renews `owner`'s leases of these running runs (their children's with them); answers the ids
     * still its own. Every replica's maintenance: not per org.
     */
    async renew(ids: string[], owner: string, expiresAtMs: number): Promise<Set<string>> {
      if (ids.length === 0) return new Set()
      const { rows } = await db.query<{ id: string }>(
        `UPDATE runs SET lease_expires_at = $3
          WHERE (id = ANY($1) OR parent_run_id = ANY($1)) AND lease_owner = $2 AND status = 'running'
          RETURNING id`,
        [ids, owner, at(expiresAtMs)],
      )
      return new Set(rows.map((r) => r.id))
    },

    /**
     * Claims for `lease.owner` up to `limit` running runs whose lease ran out (their replica died;
     * `except` those it runs itself),
     * under row locks that other sweepers skip, so each is claimed by one replica; a planner's
     * running children move with it. Every replica's maintenance: not per org.
     */
    async claimExpired(lease: Lease, nowMs: number, limit: number, except: string[]): Promise<Run[]> {
      return transaction(pool, async (tx) => {
        const { rows } = await tx.query<RunRow>(
          `UPDATE runs SET lease_owner = $1, lease_expires_at = $2, updated_at = $3
            WHERE id IN (SELECT id FROM runs
                          WHERE status = 'running' AND parent_run_id IS NULL
                            AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                            AND NOT (id = ANY($5))
                          ORDER BY lease_expires_at NULLS FIRST LIMIT $4
                          FOR UPDATE SKIP LOCKED)
            RETURNING ${columns}`,
          [lease.owner, at(lease.expiresAt), at(nowMs), limit, except],
        )
        if (rows.length > 0) {
          await tx.query(
            `UPDATE runs SET lease_owner = $1, lease_expires_at = $2
              WHERE parent_run_id = ANY($3) AND status = 'running'`,
            [lease.owner, at(lease.expiresAt), rows.map((r) => r.id)],
          )
        }
        return rows.map(toRun)
      })
    },

    /**
     * Deletes runs finished before `beforeMs` (their steps and children go with them), but not a
     * child whose planner is still going; answers how many.
     */
    async deleteFinishedBefore(beforeMs: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM runs r WHERE r.finished_at < $1
            AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.id = r.parent_run_id AND p.finished_at IS NULL)`,
        [at(beforeMs)],
      )
      return rowCount ?? 0
    },
  }
}

export type RunsRepository = ReturnType<typeof runsRepository>
