{{/* Names: <release>-kanban, truncated to what Kubernetes allows. */}}
{{- define "kanban.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kanban.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: writer, projector, redis, backup. */}}
{{- define "kanban.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kanban.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "kanban.secretName" -}}
{{ .Values.existingSecret | default (include "kanban.fullname" .) }}
{{- end -}}

{{- define "kanban.writerUrl" -}}
http://{{ include "kanban.fullname" . }}:{{ .Values.service.port }}
{{- end -}}

{{/* The Redis URL of distributed mode, or "" when Redis is off. */}}
{{- define "kanban.redisUrl" -}}
{{- if .Values.redis.enabled -}}
redis://{{ include "kanban.fullname" . }}-redis:6379/0
{{- else -}}
{{ .Values.redis.url }}
{{- end -}}
{{- end -}}

{{/* Environment every Kanban container shares: the admin token and the log key. */}}
{{- define "kanban.secretEnv" -}}
- name: KANBAN_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "kanban.secretName" . }}
      key: admin-token
{{- if or .Values.logKey .Values.existingSecret }}
- name: KANBAN_LOG_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "kanban.secretName" . }}
      key: log-key
      optional: {{ not .Values.logKey }}
{{- end }}
{{- end -}}

{{/* Non-root, read-only root filesystem, no capabilities: the same for every Kanban pod. */}}
{{- define "kanban.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kanban.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "kanban.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
