#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="${BENCH_CALLGRIND_DIR:-/tmp/cg}/cg.%p" --dump-instr=no --compress-strings=no "$(command -v node)" "$@" 2>>"${BENCH_CALLGRIND_DIR:-/tmp/cg}/valgrind.log"
