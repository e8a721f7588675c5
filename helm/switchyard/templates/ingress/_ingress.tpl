{{/*
Helpers of templates/ingress. The call graph comes from each service's defineService `calls`
(files/registry.json, via switchyard.serviceConfig), so the per-service AuthorizationPolicies
allow exactly the callers the code has.
*/}}

{{/* The running services' names (split mode: every enabled one), as a JSON list. */}}
{{- define "switchyard.runningServices" -}}
{{- $running := list }}
{{- range $name := include "switchyard.enabledServices" . | fromJsonArray }}
{{- if include "switchyard.serviceRuns" (dict "root" $ "name" $name) }}
{{- $running = append $running $name }}
{{- end }}
{{- end }}
{{- toJson $running }}
{{- end }}

{{/* The running services whose `calls` name .name, as a JSON list. */}}
{{- define "switchyard.callersOf" -}}
{{- $callers := list }}
{{- range $caller := include "switchyard.runningServices" .root | fromJsonArray }}
{{- $svc := include "switchyard.serviceConfig" (dict "root" $.root "name" $caller) | fromYaml }}
{{- if has $.name $svc.calls }}
{{- $callers = append $callers $caller }}
{{- end }}
{{- end }}
{{- toJson $callers }}
{{- end }}

{{/* A service's SPIFFE principal: <trust domain>/ns/<namespace>/sa/<its service account>. */}}
{{- define "switchyard.principal" -}}
{{- printf "%s/ns/%s/sa/%s" .root.Values.ingress.istio.trustDomain .root.Release.Namespace (include "switchyard.serviceAccountName" .) }}
{{- end }}

{{/* The Gateway the VirtualService binds to: `namespace/name`. */}}
{{- define "switchyard.istioGateway" -}}
{{- .Values.ingress.istio.existingGateway | default (printf "%s/%s" .Release.Namespace (include "switchyard.fullname" .)) }}
{{- end }}

{{/* The component whose pods serve the public port: the gateway, or `all` in mode: all. */}}
{{- define "switchyard.edgeComponent" -}}
{{- ternary "gateway" "all" (eq .Values.mode "split") }}
{{- end }}
