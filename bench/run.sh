#!/bin/sh
# portcullis benchmark: `make bench` or `sh bench/run.sh [keepalive|bulk|
# connrate|idle ...] [--quick] [--reps N] [--base BIN]`.  See bench/bench.py.
cd "$(dirname "$0")" || exit 1
exec /usr/bin/python3 bench.py "$@"
