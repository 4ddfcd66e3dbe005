#!/usr/bin/env bash
# Builds shoal-server and shoal-cli into ./bin and runs
# `bin/shoal-cli --cluster-local "$@"`: the Redis cluster tutorial's six
# nodes on 127.0.0.1:7001-7006 (3 masters, 3 replicas), one folder per node
# under ./local-cluster with the tutorial's redis.conf.
#
#   scripts/local-cluster.sh start   # build, start, create, wait for cluster_state:ok
#   scripts/local-cluster.sh stop    # SIGTERM each node by pid and wait
#   scripts/local-cluster.sh clean   # stop and delete ./local-cluster
#   scripts/local-cluster.sh status
# Extra flags: --nodes N --replicas N --port P --dir D (see docs/cli.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
go build -o bin/ ./cmd/shoal-server ./cmd/shoal-cli
exec bin/shoal-cli --cluster-local "${@:-start}"
