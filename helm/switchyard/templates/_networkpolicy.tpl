{{/* Egress to DNS, which every pod needs to find anything. */}}
{{- define "switchyard.dnsEgress" -}}
- ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  to:
    {{- toYaml .Values.networkPolicy.dns | nindent 4 }}
{{- end }}

{{/*
Egress to the backend behind one of a service's `needs` (sql, state, bus, cassandra, objects):
its port, to its operator's pods when the chart runs it, else to `backends.<name>.networkPeers`
(empty: any address on that port).
*/}}
{{- define "switchyard.backendEgress" -}}
{{- $root := .root }}
{{- $backend := get (dict "sql" "postgres" "state" "redis" "bus" "kafka" "cassandra" "cassandra" "objects" "s3") .need }}
{{- if $backend }}
{{- $values := index $root.Values.backends $backend }}
{{- $peers := $values.networkPeers }}
{{- $operator := include "switchyard.operatorPeer" (dict "root" $root "backend" $backend) | fromYaml }}
{{- if $operator.peer }}
{{- $peers = list $operator.peer }}
{{- end }}
- ports: [{port: {{ default $values.port $operator.port }}, protocol: TCP}]
  {{- with $peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The pods of an operator-run backend, as a NetworkPolicyPeer and port (empty when external). */}}
{{- define "switchyard.operatorPeer" -}}
{{- $ops := .root.Values.operators }}
{{- $name := include "switchyard.fullname" .root }}
{{- if and (eq .backend "postgres") $ops.cloudnativePg.enabled }}
peer: {podSelector: {matchLabels: {cnpg.io/cluster: {{ $name }}-pg}}}
port: 5432
{{- else if and (eq .backend "kafka") $ops.strimzi.enabled }}
peer: {podSelector: {matchLabels: {strimzi.io/cluster: {{ $name }}-kafka}}}
port: 9092
{{- else if and (eq .backend "cassandra") $ops.scylla.enabled }}
peer: {podSelector: {matchLabels: {scylla/cluster: {{ $name }}-scylla}}}
port: 9042
{{- end }}
{{- end }}

{{/* Egress from the llm-router to every enabled model pool's server port. */}}
{{- define "switchyard.poolEgress" -}}
{{- $root := . }}
{{- range $kind, $pools := .Values.modelPools }}
{{- range $name := keys $pools | sortAlpha }}
{{- $pool := include (printf "switchyard.%sPool" $kind) (dict "root" $root "name" $name) | fromYaml }}
{{- if $pool.enabled }}
- ports: [{port: {{ $pool.port }}, protocol: TCP}]
  to:
    - podSelector:
        matchLabels:
          {{- include "switchyard.componentSelectorLabels" (dict "root" $root "name" (printf "%s-%s" $kind $name)) | nindent 10 }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
