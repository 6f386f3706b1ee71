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
# Each verb below is one the operator's code uses (no more: tests/e2e/rbac_coverage.py fails on a
# grant no e2e request of the operator used; no less: every e2e operator runs as this ServiceAccount).
# TFWorkspaces: list/watch fill its cache (it never GETs one); patch sets one annotation,
# tfws.io/culled-at, when it stops an idle workspace. It never creates, updates or deletes them: users do.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces"]
  verbs: ["list", "watch", "patch"]
# Status is a subresource, written by merge patch: phase, conditions, URL, observedGeneration.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces/status"]
  verbs: ["patch"]
# Children carry an ownerReference with blockOwnerDeletion=true: where the
# OwnerReferencesPermissionEnforcement admission plugin runs, that needs update on finalizers.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaces/finalizers"]
  verbs: ["update"]
# The children, cached by list/watch (only those labelled managed-by tfws). get: one uncached read
# when a create meets AlreadyExists or a name is held by someone else's object, and the user's
# Secrets and claims a spec refers to. create; patch = server-side apply of a changed spec or of a
# child someone edited. The Pod's only patch removes its tfws.io/claims-bound scheduling gate once
# its claim is Bound (a changed spec waits for a restart: delete, create); NetworkPolicies are never deleted by the operator (garbage collection does). Claims are
# not deleted by it either, but where the OwnerReferencesPermissionEnforcement admission plugin runs,
# changing a claim's ownerReference (reclaimPolicy Retain <-> Delete) needs delete on it.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services", "secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Events that `kubectl describe tfws` shows (patch counts a repeated event in its series).
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# ResourceQuotas (cached): a quota change retries the children it refused.
- apiGroups: [""]
  resources: ["resourcequotas"]
  verbs: ["list", "watch"]
{{- end }}

{{/* Cluster-scoped rules: TFWorkspaceClasses are read to resolve workspaces, StorageClasses to order the Pod after its claim. */}}
{{- define "tfws-operator.clusterRules" -}}
# TFWorkspaceClasses (cluster-scoped, cached): the platform team's rules and defaults, which the
# operator fills in and enforces before rendering a workspace.
- apiGroups: ["tfws.io"]
  resources: ["tfworkspaceclasses"]
  verbs: ["list", "watch"]
# StorageClasses (cached, read only): a claim whose class binds at once gets its Pod only once Bound.
- apiGroups: ["storage.k8s.io"]
  resources: ["storageclasses"]
  verbs: ["list", "watch"]
{{- end }}
