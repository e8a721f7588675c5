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
  /** S3-compatible server (MinIO), addressed path-style: http://host:port */
  s3Endpoint: string
  s3Region: string
  s3AccessKeyId: string
  s3SecretAccessKey: string
  /** A bucket that exists; suites share it, each under a key prefix of its own. */
  s3Bucket: string
  /** How they were provided: 'env', 'testcontainers' or 'deploy-local'. */
  source: 'env' | 'testcontainers' | 'deploy-local'
}
