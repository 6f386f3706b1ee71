//go:build tools

// Package tools pins kwok and helm built by hack/testenv.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
