import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

export const LlmRouterConfig = Type.Object({
  /** Path of the model catalog, YAML (format: services/llm-router/README.md). */
  LLM_ROUTER_MODELS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The directory a catalog's `apiKeyFile` must be in (its real path, symlinks followed).
   * Default /run/secrets.
   */
  LLM_ROUTER_SECRETS_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Hosts a deployment's `baseUrl` may name: `host`, `host:port`, `*.domain`, or `*` for any.
   * Unset: any for the operator's own catalog; for admin's, the hosts of the operator's catalog and
   * loopback.
   */
  LLM_ROUTER_UPSTREAM_HOSTS: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** The same catalog inline: JSON in the environment, a mapping in the YAML config file, an object in tests. */
  LLM_ROUTER_MODELS: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /**
   * Rate limits and budgets (src/limits/README.md): JSON in the environment, a mapping in the YAML
   * config file, an object in tests. Unset: nothing is limited until admin announces budgets.
   */
  LLM_ROUTER_LIMITS: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /**
   * The GGUF file (or `hf:` reference) served as the alias `local` when no catalog is configured,
   * so the one-process shape answers with no upstream at all. `scripts/fetch-model.sh smollm2` puts
   * SmolLM2-135M-Instruct at the default path (Gemma 3 270M, `scripts/fetch-model.sh`, is the other
   * choice: a base model). `off`: no fallback (every model 404s until a catalog is given).
   */
  LLM_ROUTER_LOCAL_MODEL: Type.String({
    default: '/var/cache/switchyard/models/smollm2-135m-instruct-q4_1.gguf',
  }),
  /**
   * The embedding model served beside it as the alias `all-minilm-l6-v2` when no catalog is
   * configured (what rag embeds with in the one-process shape). `scripts/fetch-model.sh minilm`
   * puts all-MiniLM-L6-v2 at the default path. `off`: no such alias.
   */
  LLM_ROUTER_LOCAL_EMBEDDING_MODEL: Type.String({
    default: '/var/cache/switchyard/models/all-minilm-l6-v2-q8_0.gguf',
  }),
  /**
   * Admin's config-event public key (Ed25519 PEM; or LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY_FILE):
   * an admin.config.v1 event without a valid signature is dropped, logged and counted. Unset:
   * events are applied unverified (one process, or a bus only admin can write to).
   */
  LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * This replica's name in its admin.config.v1 consumer group (`llm-router.config.<id>`): every
   * replica hears every change. The pod name in Kubernetes; unset, a random one per start.
   */
  LLM_ROUTER_INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' })),
  /** Orgs that get their own `org` label on the llm_* metrics; every other org is `other`. */
  LLM_ROUTER_METRICS_ORGS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** How often deployment cooldowns are read back from the shared state (other replicas' findings). */
  LLM_ROUTER_HEALTH_SYNC_MS: Duration({ default: '1s', minimum: 50 }),
  /** Interval of active health probes (each deployment's model list); 0 turns them off. */
  LLM_ROUTER_PROBE_INTERVAL_MS: Duration({ default: 0 }),
})
export type LlmRouterConfig = Static<typeof LlmRouterConfig>
