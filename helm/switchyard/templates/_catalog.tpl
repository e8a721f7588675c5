{{/* A vLLM pool's settings: vllmPoolDefaults deep-merged with its entry, as YAML. */}}
{{- define "switchyard.vllmPool" -}}
{{- $pool := mergeOverwrite (deepCopy .root.Values.vllmPoolDefaults) (deepCopy (index .root.Values.modelPools.vllm .name)) }}
{{- $_ := set $pool "alias" (default .name $pool.alias) }}
{{- $_ := set $pool "servedModelName" (default $pool.model $pool.servedModelName) }}
{{- $_ := set $pool "gpus" (default $pool.tensorParallelSize $pool.gpus | int) }}
{{- toYaml $pool }}
{{- end }}

{{- define "switchyard.ollamaPool" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.ollamaPoolDefaults) (deepCopy (index .root.Values.modelPools.ollama .name))) }}
{{- end }}

{{/*
The router's catalog: one deployment per enabled vLLM pool and per model of each enabled Ollama
pool, grouped by alias, then `router.models` merged over it (an alias there wins).
*/}}
{{- define "switchyard.catalog" -}}
{{- $root := . }}
{{- $models := dict }}
{{- range $name := keys .Values.modelPools.vllm | sortAlpha }}
{{- $pool := include "switchyard.vllmPool" (dict "root" $root "name" $name) | fromYaml }}
{{- if $pool.enabled }}
{{- $deployment := mergeOverwrite (dict
  "id" (printf "vllm-%s" $name)
  "provider" "openai"
  "baseUrl" (printf "http://%s:%d/v1" (include "switchyard.componentName" (dict "root" $root "name" (printf "vllm-%s" $name))) (int $pool.port))
  "model" $pool.servedModelName) $pool.catalog }}
{{- $alias := get $models $pool.alias | default (dict "deployments" list) }}
{{- $_ := set $alias "deployments" (append $alias.deployments $deployment) }}
{{- $_ := set $models $pool.alias $alias }}
{{- end }}
{{- end }}
{{- range $name := keys .Values.modelPools.ollama | sortAlpha }}
{{- $pool := include "switchyard.ollamaPool" (dict "root" $root "name" $name) | fromYaml }}
{{- if $pool.enabled }}
{{- range $model := $pool.models }}
{{- $aliasName := default $model.name $model.alias }}
{{- $deployment := mergeOverwrite (dict
  "id" (printf "ollama-%s-%s" $name ($model.name | replace ":" "-"))
  "provider" "ollama"
  "baseUrl" (printf "http://%s:%d" (include "switchyard.componentName" (dict "root" $root "name" (printf "ollama-%s" $name))) (int $pool.port))
  "model" $model.name) (deepCopy $pool.catalog) }}
{{- $alias := get $models $aliasName | default (dict "deployments" list) }}
{{- $_ := set $alias "deployments" (append $alias.deployments $deployment) }}
{{- $_ := set $models $aliasName $alias }}
{{- end }}
{{- end }}
{{- end }}
{{- $catalog := dict "models" (mergeOverwrite $models (deepCopy .Values.router.models)) }}
{{- with .Values.router.defaults }}
{{- $_ := set $catalog "defaults" . }}
{{- end }}
{{- toYaml $catalog }}
{{- end }}
