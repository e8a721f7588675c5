{{/*
Names and labels. `switchyard.fullname`, `switchyard.labels` and `switchyard.selectorLabels`
take the root context (templates/observability and templates/ingress use them too); the
`switchyard.service*` helpers take (dict "root" $ "name" <service>).
*/}}

{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "switchyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ include "switchyard.chart" . }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchyard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* One component's name: `<fullname>-<component>` (a service, `all`, a pool, a Job). */}}
{{- define "switchyard.componentName" -}}
{{- printf "%s-%s" (include "switchyard.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchyard.componentSelectorLabels" -}}
{{ include "switchyard.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "switchyard.componentLabels" -}}
{{ include "switchyard.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* The image reference: the digest wins over the tag; the tag defaults to appVersion. */}}
{{- define "switchyard.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* The service graph generated from each defineService (files/registry.json), as YAML. */}}
{{- define "switchyard.graph" -}}
{{- (.Files.Get "files/registry.json" | fromJson).services | toYaml }}
{{- end }}

{{/*
One service's settings: serviceDefaults deep-merged with its entry under `services`, plus
`calls`, `needs`, `migrations`, `signsInternalTokens`, `signsWorkerTokens` from the graph, as
YAML. chat's needs follow CHAT_STORE as its needsFor does (postgres: sql instead of cassandra).
*/}}
{{- define "switchyard.serviceConfig" -}}
{{- $root := .root }}
{{- $graph := include "switchyard.graph" $root | fromYaml }}
{{- $own := index $root.Values.services .name | default dict }}
{{- $merged := mergeOverwrite (deepCopy $root.Values.serviceDefaults) (deepCopy $own) }}
{{- $code := index $graph .name | default dict }}
{{- if not $code }}
{{- fail (printf "services.%s is not in files/registry.json: an image without that target (or run node packages/switchyard/src/write-chart-registry.ts)" .name) }}
{{- end }}
{{- $needs := $code.needs }}
{{- if and (eq .name "chat") (eq (toString (dig "env" "CHAT_STORE" "cassandra" $merged)) "postgres") }}
{{- $needs = append (without $needs "cassandra") "sql" | uniq }}
{{- end }}
{{- $_ := set $merged "calls" $code.calls }}
{{- $_ := set $merged "needs" $needs }}
{{- $_ := set $merged "migrations" $code.migrations }}
{{- $_ := set $merged "signsInternalTokens" $code.signsInternalTokens }}
{{- $_ := set $merged "signsWorkerTokens" $code.signsWorkerTokens }}
{{- $_ := set $merged "name" .name }}
{{- toYaml $merged }}
{{- end }}

{{/* The enabled services' names, in the order of `services`, as a JSON list. */}}
{{- define "switchyard.enabledServices" -}}
{{- $names := list }}
{{- range $name, $svc := .Values.services }}
{{- if $svc.enabled }}
{{- $names = append $names $name }}
{{- end }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/* Whether a service runs as its own Deployment: split mode and enabled. */}}
{{- define "switchyard.serviceRuns" -}}
{{- if and (eq .root.Values.mode "split") (index .root.Values.services .name | default dict).enabled }}true{{ end }}
{{- end }}

{{- define "switchyard.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create }}
{{- include "switchyard.componentName" . }}
{{- else }}
{{- "default" }}
{{- end }}
{{- end }}

{{/* Where mounted secrets live in a pod; each backend's files are under `<dir>/<backend>/`. */}}
{{- define "switchyard.secretsDir" -}}
/var/run/secrets/switchyard
{{- end }}

{{/* The Secret the chart makes from inline backend values (when no existingSecret is given). */}}
{{- define "switchyard.backendsSecretName" -}}
{{- printf "%s-backends" (include "switchyard.fullname" .) }}
{{- end }}

{{- define "switchyard.envConfigMapName" -}}
{{- printf "%s-env" (include "switchyard.fullname" .) }}
{{- end }}
