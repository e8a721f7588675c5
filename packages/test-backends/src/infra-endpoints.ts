/** Where the real backends for integration tests are. */
export interface InfraEndpoints {
  /** PostgreSQL (plain; the Debian package on a machine without Docker). */
  postgresUrl: string
  /** PostgreSQL with the pgvector extension available. */
  pgvectorUrl: string
  /** redis://host:port */
  redisUrl: string
  /** host:port list */
  kafkaBrokers: string[]
  /** host:port list */
  cassandraContactPoints: string[]
  cassandraLocalDataCenter: string
  /** How they were provided: 'env', 'testcontainers' or 'deploy-local'. */
  source: 'env' | 'testcontainers' | 'deploy-local'
}
