{{/*
Helpers of the crilog chart. The templates use a small subset of Helm's
template language (see docs/kubernetes.md, "Helm chart"), which the offline
renderer in test/deploy/ implements and checks.
*/}}

{{- define "crilog.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "crilog.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "crilog.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crilog.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "crilog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{ include "crilog.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "crilog.testLabels" -}}
app.kubernetes.io/name: {{ include "crilog.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "crilog.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crilog.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The daemon's config.yaml: keys derived from other values (so that mounts,
ports and config cannot disagree), then .Values.config verbatim.
*/}}
{{- define "crilog.config" -}}
{{- if or .Values.config.runtimeEndpoint .Values.config.logRoots .Values.config.metricsAddress }}
{{- fail "config.runtimeEndpoint, config.logRoots and config.metricsAddress are derived from runtime.*, podLogsDir and metrics.port: set those instead" }}
{{- end -}}
runtimeEndpoint: {{ printf "unix://%s/%s" .Values.runtime.socketDir .Values.runtime.socketName | quote }}
logRoots:
  - {{ .Values.podLogsDir | quote }}
metricsAddress: {{ printf "0.0.0.0:%v" .Values.metrics.port | quote }}
{{- with .Values.config }}
{{ toYaml . }}
{{- end }}
{{- end }}
