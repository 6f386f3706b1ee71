//go:build tools

// Package tools pins VictoriaLogs (a Loki push-API server) built by hack/testenv.
package tools

import (
	_ "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs"
)
