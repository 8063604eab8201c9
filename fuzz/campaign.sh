#!/usr/bin/env bash
# One command for a fuzz campaign of the `lecture` target (see README.md):
#
#   [MAX_LEN=<bytes>] [MODE=plain] [NO_TRACE_COMPARES=1] [DURATION=<s>] [TIMEOUT=<s>] \
#     fuzz/campaign.sh [EXECUTIONS] [PROCESSES]   (defaults: 262144, 10000000, 1)
#
# Runs libFuzzer in fork mode (PROCESSES children), going on after a crash, a timeout or
# an out-of-memory (each saved under fuzz/artifacts/lecture/), until EXECUTIONS inputs
# have run. Everything goes to fuzz/logs/campaign-<date>.log: libFuzzer prints a line
# per job with the executions so far (#N), exec/s and oom/timeout/crash counts; the
# script ends with a summary (executions, artifacts). To run it in the background:
#
#   nohup fuzz/campaign.sh 10000000 2 >/dev/null 2>&1 &
#   tail -f fuzz/logs/campaign-*.log
set -euo pipefail
runs="${1:-10000000}"
procs="${2:-1}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mkdir -p logs artifacts/lecture corpus/lecture
log="$here/logs/campaign-$(date +%Y%m%d-%H%M%S).log"
exec > >(tee -a "$log") 2>&1
echo "campaign: $runs executions, $procs process(es), log $log, started $(date -Is)"
if [ -z "$(ls -A corpus/lecture)" ]; then
  ./seeds.sh
fi
# NO_TRACE_COMPARES=1: build without LLVM's compare tracing (about twice the executions
# per second: on this target, tracing compares took 57 % of the time), into its own
# target folder so that the traced build stays.
target_dir=target
build_flags=()
if [ "${NO_TRACE_COMPARES:-0}" = 1 ]; then
  target_dir=target-ntc
  build_flags=(--no-trace-compares --target-dir target-ntc)
fi
cargo fuzz build -s none "${build_flags[@]}" lecture
echo "commit: $(git -C .. rev-parse HEAD 2>/dev/null || echo '?'), build flags: ${build_flags[*]:-none}"
start=$(date +%s)
# Memory bound: 4096 MiB, the address-space limit of a reading child process
# (observatoire::ingest::limits::Limits::reader_memory_bytes).
if [ "${MODE:-fork}" = plain ]; then
  # Plain mode: PROCESSES independent fuzzers, each loading the corpus once and running
  # RUNS/PROCESSES inputs (or DURATION seconds); about 3 times the rate of fork mode,
  # whose jobs reload the whole corpus, but a finding stops its process.
  bin="$target_dir/x86_64-unknown-linux-gnu/release/lecture"
  pids=()
  for i in $(seq 1 "$procs"); do
    "$bin" -artifact_prefix=artifacts/lecture/ -runs=$((runs / procs)) \
      -max_total_time="${DURATION:-0}" -rss_limit_mb=4096 -malloc_limit_mb=4096 \
      -timeout="${TIMEOUT:-30}" -max_len="${MAX_LEN:-16384}" -print_final_stats=1 -seed="$i" \
      corpus/lecture > "logs/plain-$i.log" 2>&1 &
    pids+=("$!")
  done
  # Wait for the fuzzers only: a bare `wait` would also wait for the `tee` of the log,
  # which never ends while this script runs.
  for p in "${pids[@]}"; do wait "$p" || true; done
  execs=0
  for i in $(seq 1 "$procs"); do
    n=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "logs/plain-$i.log" | grep -oE '[0-9]+$' || echo 0)
    echo "process $i: $n executions"
    execs=$((execs + n))
  done
else
  cargo fuzz run -s none "${build_flags[@]}" lecture corpus/lecture -- \
    -fork="$procs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -runs="$runs" -rss_limit_mb=4096 -malloc_limit_mb=4096 -timeout="${TIMEOUT:-30}" \
    -max_len="${MAX_LEN:-262144}" -print_final_stats=1 || true
  execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
fi
end=$(date +%s)
echo "summary: ${execs:-0} executions in $((end - start)) s; artifacts:"
ls -l artifacts/lecture/ || true
