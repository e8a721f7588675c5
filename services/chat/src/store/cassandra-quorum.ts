import type { Client } from 'cassandra-driver'

/** Whether LOCAL_QUORUM writes to a keyspace can succeed in the local data center now. */
export interface QuorumReport {
  keyspace: string
  dataCenter: string
  /** False: the keyspace does not exist yet, and `replicationFactor` is what chat would create it with. */
  exists: boolean
  /** The keyspace's replicas in the local data center. */
  replicationFactor: number
  /** Nodes of the local data center the driver sees up. */
  liveNodes: number
  /** Replicas a LOCAL_QUORUM write needs: a majority of the replication factor. */
  quorum: number
}

export interface QuorumOptions {
  keyspace: string
  dataCenter: string
  /** CHAT_CASSANDRA_REPLICATION_FACTOR: used when the keyspace does not exist yet. */
  replicationFactor: number
}

/** The data center the client was connected with (the runtime's CASSANDRA_LOCAL_DC). */
export function localDataCenterOf(client: Client): string {
  // The driver keeps its options on the client; its typings do not declare them.
  return (
    (client as unknown as { options?: { localDataCenter?: string } }).options?.localDataCenter ??
    'datacenter1'
  )
}

/** A replica per node at most: a write reaches quorum when that many replicas are on live nodes. */
export const canReachQuorum = (r: QuorumReport): boolean =>
  Math.min(r.liveNodes, r.replicationFactor) >= r.quorum

/**
 * Reads the keyspace's replication (system_schema) and counts the local data center's live nodes
 * (the driver's view of the ring, no query). A one-node cluster with the default factor 3 needs 2
 * replicas per write and has 1: every write would fail.
 */
export async function quorumReport(client: Client, options: QuorumOptions): Promise<QuorumReport> {
  const { keyspace, dataCenter } = options
  const row = (
    await client.execute(
      'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [keyspace],
      {
        prepare: true,
      },
    )
  ).first()
  const replication = row ? (row.get('replication') as Record<string, string>) : undefined
  const replicationFactor =
    replication === undefined
      ? options.replicationFactor
      : Number(
          (replication.class ?? '').endsWith('SimpleStrategy')
            ? replication.replication_factor
            : (replication[dataCenter] ?? 0),
        )
  const liveNodes = client.hosts
    .values()
    .filter((host) => host.datacenter === dataCenter && host.isUp()).length
  return {
    keyspace,
    dataCenter,
    exists: replication !== undefined,
    replicationFactor,
    liveNodes,
    quorum: Math.floor(replicationFactor / 2) + 1,
  }
}

/** Chat refuses to start on a keyspace whose writes cannot reach quorum; the message says what to set. */
export class QuorumUnreachableError extends Error {
  override name = 'QuorumUnreachableError'
  readonly report: QuorumReport
  constructor(r: QuorumReport) {
    const state = `${r.dataCenter} has ${r.liveNodes} live node(s) and writes at LOCAL_QUORUM need ${r.quorum}`
    super(
      r.exists
        ? `chat cannot write to Cassandra keyspace ${r.keyspace}: its replication factor in ${r.dataCenter} is ` +
            `${r.replicationFactor}, ${state}. CHAT_CASSANDRA_REPLICATION_FACTOR applies only when chat creates ` +
            `the keyspace: lower it with ALTER KEYSPACE ${r.keyspace} WITH replication = {'class': ` +
            `'NetworkTopologyStrategy', '${r.dataCenter}': ${Math.max(r.liveNodes, 1)}} (or drop it and set ` +
            `CHAT_CASSANDRA_REPLICATION_FACTOR), or bring the nodes up`
        : `chat would create Cassandra keyspace ${r.keyspace} with replication factor ${r.replicationFactor} ` +
            `(CHAT_CASSANDRA_REPLICATION_FACTOR), but ${state}: set CHAT_CASSANDRA_REPLICATION_FACTOR to at most ` +
            `the number of nodes (${Math.max(r.liveNodes, 1)} here; 1 for a one-node cluster such as deploy/local)`,
    )
    this.report = r
  }
}

/** @throws QuorumUnreachableError when LOCAL_QUORUM writes cannot succeed now. */
export async function requireQuorum(client: Client, options: QuorumOptions): Promise<QuorumReport> {
  const report = await quorumReport(client, options)
  if (!canReachQuorum(report)) throw new QuorumUnreachableError(report)
  return report
}
