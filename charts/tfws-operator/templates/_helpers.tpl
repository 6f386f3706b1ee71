{{/*
Names, labels and small derived values shared by every template.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "tfws-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: fullnameOverride, else <release>-<name> (or <release> when it already contains the name). */}}
{{- define "tfws-operator.fullname" -}}
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

{{/* Labels on every object of the release. */}}
{{- define "tfws-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tfws-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tfws
{{- end }}

{{/* Labels that select the operator Pods (never change them on upgrade: Deployment selectors are immutable). */}}
{{- define "tfws-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tfws-operator.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Name of the ServiceAccount the operator runs as. */}}
{{- define "tfws-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tfws-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: Required value: set the name of an existing ServiceAccount when serviceAccount.create=false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Operator image reference: repository@digest when a digest is set, else repository:tag (tag defaults to appVersion). */}}
{{- define "tfws-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Namespace of the leader-election Lease. */}}
{{- define "tfws-operator.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* The OperatorConfig document mounted at /etc/tfws/config.yaml (operatorNamespace defaults to the
release namespace, operatorPodLabels to the selector labels of the operator Pods). */}}
{{- define "tfws-operator.operatorConfig" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "operatorNamespace" (default .Release.Namespace .Values.config.operatorNamespace) }}
{{- if not .Values.config.operatorPodLabels }}
{{- $_ := set $config "operatorPodLabels" (include "tfws-operator.selectorLabels" . | fromYaml) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* Loki stream labels as k=v,k=v (sorted by key, so the flag is stable across renders). */}}
{{- define "tfws-operator.lokiLabels" -}}
{{- $pairs := list }}
{{- range $k := keys .Values.logging.loki.labels | sortAlpha }}
{{- $pairs = append $pairs (printf "%s=%s" $k (index $.Values.logging.loki.labels $k)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
Rules on the namespaced resources the operator manages. Used by the ClusterRole (all namespaces)
or by one Role per watched namespace. Each rule says why it is needed.
*/}}
{{- define "tfws-operator.namespacedRules" -}}
# The operator watches TFWorkspaces (list/watch fill its cache, get re-reads one) and patches one
# annotation, tfws.io/culled-at, when it stops an idle workspace. It never creates, updates or
# deletes them: users do.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces"]
  verbs: ["get", "list", "watch", "patch"]
# Status is a subresource: phase, conditions, URL and observedGeneration are written here.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces/status"]
  verbs: ["get", "update", "patch"]
# Owner references with blockOwnerDeletion=true on child objects require update on finalizers.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces/finalizers"]
  verbs: ["update"]
# The children of a workspace: its Pod, Service, token and SSH-key Secrets and home PVC. The
# operator creates them, applies changes (server-side apply = patch), and deletes them on stop.
- apiGroups: [""]
  resources: ["pods", "services", "secrets", "persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# The workspace Ingress (URL with TLS) and NetworkPolicy (who may reach Jupyter and SSH).
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# Events that `kubectl describe tfws` shows (patch/update aggregate repeated events).
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch", "update"]
# GPU quota: the operator reads ResourceQuotas to say "quota exceeded" in plain words.
- apiGroups: [""]
  resources: ["resourcequotas"]
  verbs: ["get", "list", "watch"]
{{- end }}

{{/* Cluster-scoped rules: Nodes are read to explain GPU scheduling (capacity, compute capability, taints); TFWorkspaceClasses are read to resolve workspaces. */}}
{{- define "tfws-operator.nodeRules" -}}
# Nodes (cluster-scoped, read only): GPU capacity, GPU Feature Discovery labels and taints, so a
# Pending workspace gets a message like "no node with 2 free nvidia.com/gpu of compute capability <= 8".
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list", "watch"]
# TFWorkspaceClasses (cluster-scoped, read only): the platform team's rules and defaults, which the
# operator fills in and enforces before rendering a workspace.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaceclasses"]
  verbs: ["get", "list", "watch"]
{{- end }}
