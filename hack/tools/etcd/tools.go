//go:build tools

// Package tools pins etcd (server and etcdctl) built by hack/testenv.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
