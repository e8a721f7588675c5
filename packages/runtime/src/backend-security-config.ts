import { type TBoolean, type TOptional, type TString, Type } from 'typebox'

type Prefix = 'DATABASE' | 'REDIS' | 'KAFKA' | 'CASSANDRA'

/**
 * The TLS keys of one backend. PEM text, not paths: set `<KEY>_FILE` to a mounted file (the config
 * loader reads it), e.g. `KAFKA_TLS_CA_FILE=/etc/kafka-ca/ca.crt`. Any of CA, cert or key turns TLS on.
 */
export function tlsKeys<P extends Prefix>(prefix: P, server: string) {
  return {
    [`${prefix}_TLS`]: Type.Boolean({
      default: false,
      description: `Connect to ${server} over TLS (also on when a CA, cert or key below is set).`,
    }),
    [`${prefix}_TLS_CA`]: Type.Optional(
      Type.String({
        minLength: 1,
        description: `CA certificates (PEM) that ${server}'s certificate must chain to.`,
      }),
    ),
    [`${prefix}_TLS_CERT`]: Type.Optional(
      Type.String({ minLength: 1, description: `Client certificate (PEM) presented to ${server}.` }),
    ),
    [`${prefix}_TLS_KEY`]: Type.Optional(
      Type.String({ minLength: 1, description: `Private key (PEM) of that client certificate.` }),
    ),
    [`${prefix}_TLS_REJECT_UNAUTHORIZED`]: Type.Boolean({
      default: true,
      description: `false accepts any certificate from ${server}: testing only.`,
    }),
  } as { [K in `${P}_TLS` | `${P}_TLS_REJECT_UNAUTHORIZED`]: TBoolean } & {
    [K in `${P}_TLS_CA` | `${P}_TLS_CERT` | `${P}_TLS_KEY`]: TOptional<TString>
  }
}

/** Credentials of the bus and of Cassandra; passwords come from secrets (`_FILE`). */
export const credentialKeys = {
  /** Kafka SASL: unset for none (deploy/local); else username and password are required. */
  KAFKA_SASL_MECHANISM: Type.Optional(
    Type.Union([Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')]),
  ),
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  /** Cassandra password authentication (PasswordAuthenticator); both, or neither. */
  CASSANDRA_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  CASSANDRA_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
}
