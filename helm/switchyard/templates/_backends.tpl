{{/*
How a split-mode pod reaches its backends, given (dict "root" $ "svc" <serviceConfig>): the
secrets it needs as files in one projected volume (`<KEY>_FILE` points at them: the config
loader reads a mounted secret so), the rest from the shared ConfigMap. A pod gets only the
secrets of what its service `needs` and signs.
*/}}

{{/* The Secret and key that hold a backend's URL: existingSecret, else the chart's own. */}}
{{- define "switchyard.backendSecretRef" -}}
{{- $backend := index .root.Values.backends .backend }}
{{- if $backend.existingSecret }}
name: {{ $backend.existingSecret }}
key: {{ $backend.existingSecretKey }}
{{- else if and (eq .backend "postgres") .root.Values.operators.cloudnativePg.enabled }}
{{- /* CloudNativePG's app Secret: `uri` is the app user's connection URL. */}}
name: {{ include "switchyard.fullname" .root }}-pg-app
key: uri
{{- else }}
{{- $_ := required (printf "backends.%s: set url or existingSecret (a service that runs needs it)" .backend) $backend.url }}
name: {{ include "switchyard.backendsSecretName" .root }}
key: {{ $backend.existingSecretKey }}
{{- end }}
{{- end }}

{{- define "switchyard.secretSources" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $tokens := $root.Values.internalTokens.existingSecret }}
- secret:
    name: {{ required "internalTokens.existingSecret is required in mode: split (a Secret with public.pem, private.pem, worker-public.pem, worker-private.pem)" $tokens }}
    items:
      - {key: public.pem, path: tokens/public.pem}
      - {key: worker-public.pem, path: tokens/worker-public.pem}
      {{- if $svc.signsInternalTokens }}
      - {key: private.pem, path: tokens/private.pem}
      {{- end }}
      {{- if $svc.signsWorkerTokens }}
      - {key: worker-private.pem, path: tokens/worker-private.pem}
      {{- end }}
{{- if has "sql" $svc.needs }}
{{- $ref := include "switchyard.backendSecretRef" (dict "root" $root "backend" "postgres") | fromYaml }}
- secret:
    name: {{ $ref.name }}
    items:
      - {key: {{ $ref.key }}, path: postgres/database-url}
{{- end }}
{{- if has "state" $svc.needs }}
{{- $ref := include "switchyard.backendSecretRef" (dict "root" $root "backend" "redis") | fromYaml }}
- secret:
    name: {{ $ref.name }}
    items:
      - {key: {{ $ref.key }}, path: redis/redis-url}
{{- end }}
{{- end }}

{{/* Environment pointing at the mounted secret files, and what only this pod needs. */}}
{{- define "switchyard.backendEnv" -}}
{{- $svc := .svc }}
{{- $dir := include "switchyard.secretsDir" .root }}
- name: INTERNAL_TOKEN_PUBLIC_KEY_FILE
  value: {{ $dir }}/tokens/public.pem
- name: INTERNAL_TOKEN_WORKER_PUBLIC_KEY_FILE
  value: {{ $dir }}/tokens/worker-public.pem
{{- if $svc.signsInternalTokens }}
- name: INTERNAL_TOKEN_PRIVATE_KEY_FILE
  value: {{ $dir }}/tokens/private.pem
{{- end }}
{{- if $svc.signsWorkerTokens }}
- name: INTERNAL_TOKEN_WORKER_PRIVATE_KEY_FILE
  value: {{ $dir }}/tokens/worker-private.pem
{{- end }}
{{- if has "sql" $svc.needs }}
- name: DATABASE_URL_FILE
  value: {{ $dir }}/postgres/database-url
{{- end }}
{{- if has "state" $svc.needs }}
- name: REDIS_URL_FILE
  value: {{ $dir }}/redis/redis-url
{{- end }}
{{- end }}

{{/* Secrets whose keys are the env names themselves (credentials of Kafka, Cassandra, S3). */}}
{{- define "switchyard.backendEnvFrom" -}}
{{- $root := .root }}
{{- $svc := .svc }}
- configMapRef:
    name: {{ include "switchyard.envConfigMapName" $root }}
{{- if and (has "bus" $svc.needs) $root.Values.backends.kafka.existingSecret }}
- secretRef:
    name: {{ $root.Values.backends.kafka.existingSecret }}
{{- end }}
{{- if and (has "cassandra" $svc.needs) $root.Values.backends.cassandra.existingSecret }}
- secretRef:
    name: {{ $root.Values.backends.cassandra.existingSecret }}
{{- end }}
{{- if and (has "objects" $svc.needs) $root.Values.backends.s3.existingSecret }}
- secretRef:
    name: {{ $root.Values.backends.s3.existingSecret }}
{{- end }}
{{- end }}

{{/* Kafka's bootstrap brokers, comma-separated: Strimzi's bootstrap Service when the chart runs it. */}}
{{- define "switchyard.kafkaBrokers" -}}
{{- if .Values.operators.strimzi.enabled }}
{{- printf "%s-kafka-kafka-bootstrap:9092" (include "switchyard.fullname" .) }}
{{- else }}
{{- join "," .Values.backends.kafka.brokers }}
{{- end }}
{{- end }}

{{/*
When hook Jobs run: before the release's objects normally; after them on a first install whose
database the chart's own operator CRs make (it does not exist before).
*/}}
{{- define "switchyard.hookPhases" -}}
{{- if .Values.operators.cloudnativePg.enabled }}post-install,pre-upgrade{{ else }}pre-install,pre-upgrade{{ end }}
{{- end }}
