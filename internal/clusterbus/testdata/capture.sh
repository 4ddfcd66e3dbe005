#!/bin/sh
# Regenerates testdata/captures/*.hex: cluster bus frames recorded from a
# real redis-server 7.0.15 cluster: 4 nodes behind recording proxies on
# 127.0.0.1, client ports from 17000-17099, bus and proxy ports 27000-27099.
# See TestCapture in capture_test.go for the scenario. Review the diff: node
# ids, epochs and timestamps change on every run.
set -eu
cd "$(dirname "$0")/.."
redis-server --version | grep -q 'v=7\.0\.' || { echo "need redis-server 7.0.x" >&2; exit 1; }
rm -f testdata/captures/*.hex
exec go test -tags capture -run '^TestCapture$' -count=1 -timeout 180s -v . -capture.out=testdata/captures "$@"
