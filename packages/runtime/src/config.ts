import { Duration, Url } from '@switchyard/config'
import { type Static, Type } from 'typebox'
import { credentialKeys, tlsKeys } from './backend-security-config.ts'

/**
 * The runtime's own configuration: where it listens, where its local data lives and how to reach the
 * production backends. Services load their own schemas; this one is read once by `switchyard`.
 * Backend URLs are optional here because which of them are required depends on the target (see plan.ts).
 */
export const RuntimeConfig = Type.Object({
  /** TCP port of the listener: the gateway's port in the one-process shape, the service's otherwise. */
  SWITCHYARD_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  /**
   * Interface to bind. Unset: 127.0.0.1 for `start` (all), which runs with an embedded database and
   * ephemeral keys and should not be reachable from the network by accident; 0.0.0.0 for a single
   * target, which runs in a pod and must be reachable by its peers.
   */
  SWITCHYARD_HOST: Type.Optional(Type.String({ minLength: 1 })),
  /** Folder for the PGlite database and the event outbox; a leading `~` is the home directory. */
  SWITCHYARD_DATA_DIR: Type.String({ minLength: 1, default: '~/.switchyard' }),
  /**
   * Where the first `start` (all) on an empty database saves the owner API key (mode 0600, its
   * folder 0700). Unset: `credentials` in SWITCHYARD_DATA_DIR, so `~/.switchyard/credentials`.
   */
  SWITCHYARD_CREDENTIALS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  SWITCHYARD_LOG_LEVEL: Type.Union(
    [
      Type.Literal('trace'),
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
      Type.Literal('fatal'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  /** Human-readable logs instead of JSON lines (for a terminal). */
  SWITCHYARD_LOG_PRETTY: Type.Boolean({ default: false }),
  /**
   * How a single target reaches its peers; `{name}` is replaced by the service name. The default is the
   * Kubernetes Service of each one, as the Helm chart names them.
   */
  SWITCHYARD_SERVICE_URL_TEMPLATE: Type.String({ minLength: 1, default: 'http://{name}:8080' }),
  /** Keep-alive connections a single target opens to each service it calls, at most. */
  SWITCHYARD_PEER_CONNECTIONS: Type.Integer({ minimum: 1, default: 128 }),
  /** PostgreSQL (with pgvector) for a single target that needs SQL: postgres://user:pass@host:5432/db */
  DATABASE_URL: Type.Optional(Url({ protocols: ['postgres', 'postgresql'] })),
  /** Milliseconds after which PostgreSQL cancels any one statement on the pool (0: never); migrations are exempt. */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 30_000 }),
  /** Redis for shared state of a single target: redis://host:6379/0 */
  REDIS_URL: Type.Optional(Url({ protocols: ['redis', 'rediss'] })),
  /**
   * A Redis command not answered after this long is refused, and the caller's policy applies (the
   * gateway's rate limits let the request through; the router's limits refuse it): a hung Redis slows
   * each request by at most this much.
   */
  REDIS_COMMAND_TIMEOUT_MS: Duration({ default: '500ms', minimum: 1 }),
  /** How long one connection attempt to Redis may take (at start, and each reconnection). */
  REDIS_CONNECT_TIMEOUT_MS: Duration({ default: '5s', minimum: 1 }),
  /** Kafka bootstrap brokers, comma-separated host:port. */
  KAFKA_BROKERS: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Cassandra / ScyllaDB contact points, comma-separated host[:port]. */
  CASSANDRA_CONTACT_POINTS: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Cassandra local data center, e.g. datacenter1. */
  CASSANDRA_LOCAL_DC: Type.String({ minLength: 1, default: 'datacenter1' }),
  /** Bucket of a single target that stores objects (rag's originals); made at start if missing. */
  SWITCHYARD_S3_BUCKET: Type.Optional(Type.String({ minLength: 3 })),
  /**
   * An S3-compatible server (MinIO: http://minio:9000), addressed path-style; unset: AWS S3 itself,
   * virtual-hosted.
   */
  SWITCHYARD_S3_ENDPOINT: Type.Optional(Url({ protocols: ['http', 'https'] })),
  SWITCHYARD_S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  /** Both keys, or neither for the SDK's default chain (instance role, IRSA, AWS_* variables). */
  SWITCHYARD_S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  SWITCHYARD_S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  // TLS to each backend, and credentials of Kafka and Cassandra (docs/security.md); all off by default.
  ...tlsKeys('DATABASE', 'PostgreSQL'),
  ...tlsKeys('REDIS', 'Redis'),
  ...tlsKeys('KAFKA', 'Kafka'),
  ...tlsKeys('CASSANDRA', 'Cassandra'),
  ...credentialKeys,
  /** Ed25519 public key (PEM) that verifies internal tokens; required for a single target. */
  INTERNAL_TOKEN_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Ed25519 private key (PEM) that signs internal tokens; only the gateway needs it. */
  INTERNAL_TOKEN_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Ed25519 public key (PEM) of the worker key: its tokens are accepted for llm:use and
   * files:read only. Set on the llm-router (rag-worker's embeddings, agent runs' model calls) and
   * on rag (agent runs' rag_search); unset, no worker token is accepted.
   */
  INTERNAL_TOKEN_WORKER_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Ed25519 private key (PEM) of the worker key; only rag-worker needs it. */
  INTERNAL_TOKEN_WORKER_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Bearer token that GET /metrics on every server asks for (`Authorization: Bearer <token>`).
   * Unset: /metrics is not served on the listener (see SWITCHYARD_METRICS_PORT).
   */
  SWITCHYARD_METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Port of a listener that serves GET /metrics alone, without a token; unset: none. */
  SWITCHYARD_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Interface of the metrics listener: loopback unless the scraper must reach it from elsewhere. */
  SWITCHYARD_METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /**
   * Deepest nesting of arrays and objects a JSON request body may have, the body being level 1;
   * deeper is a 400 KIT_ERR_NESTING_TOO_DEEP before any handler runs.
   */
  SWITCHYARD_MAX_JSON_DEPTH: Type.Integer({ minimum: 8, maximum: 1000, default: 64 }),
  /** Serve the OpenAPI document and UI at /docs. Unset: on for `start` (all), off for a single target. */
  SWITCHYARD_DOCS: Type.Optional(Type.Boolean()),
  /** OTLP/HTTP endpoint for traces; unset turns tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Url()),
  /** How long in-flight requests may take to finish after SIGTERM: milliseconds, or `10s`. */
  SHUTDOWN_GRACE_MS: Duration({ default: '10s' }),
})
export type RuntimeConfig = Static<typeof RuntimeConfig>
