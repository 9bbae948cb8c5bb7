#!/usr/bin/env bash
# scripts/gpu-check.sh — the checks only a machine with an NVIDIA GPU can run, in one go:
#   1. the device, its driver, and what backends() says about it;
#   2. `nvcc --resource-usage` for the GPU's own architecture (registers, shared memory, spills);
#   3. the whole test suite with cuda among the backends (cuda's bits against cpu and cuda-sim);
#   4. the kernel-heavy test files on cuda with CUOPTIM_CUDA_SYNC=1 (a fault names its kernel);
#   5. compute-sanitizer memcheck, racecheck, synccheck and initcheck over those files, with the
#      caching allocator off (CUOPTIM_CUDA_CACHE=0) so memcheck sees each allocation's true end;
#   6. the quick benchmark, whose cuda rows are percentages of the device's measured copy
#      bandwidth.
# Each step's log and a summary go to $CUOPTIM_GPU_CHECK_OUT (default
# bench/results/gpu-<host>-<date>/); the script exits 1 when any step fails, after running the
# rest, and 2, having run nothing else, when cuda is not available (no GPU, driver or cuda build).
#
#   npm ci                      # with nvcc on PATH: builds the cuda backend
#   bash scripts/gpu-check.sh   # CUOPTIM_GPU_CHECK_STEPS="1 3" runs only those steps
set -uo pipefail
cd "$(dirname "$0")/.."

OUT_DIR="${CUOPTIM_GPU_CHECK_OUT:-bench/results/gpu-$(hostname -s)-$(date +%F)}"
STEPS="${CUOPTIM_GPU_CHECK_STEPS:-1 2 3 4 5 6}"
# compute-sanitizer slows kernels 10-100x: each tool gets this long (seconds) per run.
SANITIZER_LIMIT="${CUOPTIM_GPU_CHECK_SANITIZER_LIMIT:-900}"
KERNEL_FILES=test/sim-order-files.txt
mkdir -p "$OUT_DIR"
SUMMARY="$OUT_DIR/summary.md"
: >"$SUMMARY"
FAILED=0

# run_step N NAME COMMAND...: runs COMMAND with its output in $OUT_DIR/N-<slug>.log, timed.
run_step() {
  local n="$1" name="$2"
  shift 2
  case " $STEPS " in *" $n "*) ;; *) return 0 ;; esac
  local log
  log="$OUT_DIR/$n-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-' | tr -s '-' | sed 's/-$//').log"
  printf '\n== %s. %s ==\n' "$n" "$name"
  local start=$SECONDS rc
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local verdict="passed"
  [ "$rc" = 0 ] || { verdict="FAILED (exit $rc)"; FAILED=1; }
  printf '| %s | %s | %s | %ds | %s |\n' "$n" "$name" "$verdict" "$((SECONDS - start))" "$(basename "$log")" >>"$SUMMARY"
}

device_facts() {
  node -e '
    const { backends } = require("./dist/index.cjs");
    for (const b of backends()) console.log(`${b.name}: ${b.available ? "available" : b.reason}`);' || return 1
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  else
    echo "nvidia-smi: not found (no NVIDIA driver here)"
  fi
  node -e 'process.exit(require("./dist/index.cjs").isAvailable("cuda") ? 0 : 1)'
}

resource_usage() {
  local cap
  cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
  node scripts/resource-check.mjs --arch "sm_$cap"
}

sanitize() {
  local tool="$1"
  command -v compute-sanitizer >/dev/null || { echo "compute-sanitizer not found (it ships with the CUDA toolkit)"; return 1; }
  local extra=()
  [ "$tool" = memcheck ] && extra=(--leak-check full)
  CUOPTIM_TEST_DEVICES=cuda CUOPTIM_CUDA_CACHE=0 timeout "$SANITIZER_LIMIT" \
    compute-sanitizer --tool "$tool" "${extra[@]}" --target-processes all --error-exitcode 86 --print-limit 20 \
    node scripts/run-test-files.mjs "$KERNEL_FILES"
}

run_step 1 "device, driver and backends()" device_facts
if [ "$FAILED" != 0 ]; then
  echo "gpu-check: skipped: cuda is not available here (step 1 says why); no GPU check ran" | tee -a "$SUMMARY"
  exit 2
fi
run_step 2 "nvcc --resource-usage for this GPU's architecture" resource_usage
run_step 3 "the whole suite on cpu, cuda-sim and cuda" env CUOPTIM_TEST_VERBOSE=1 npm test
run_step 4 "the kernel tests on cuda, synchronised after every launch" \
  env CUOPTIM_TEST_DEVICES=cuda CUOPTIM_CUDA_SYNC=1 node scripts/run-test-files.mjs "$KERNEL_FILES"
for tool in memcheck racecheck synccheck initcheck; do
  run_step 5 "compute-sanitizer $tool over the kernel tests" sanitize "$tool"
done
run_step 6 "cuoptim/distributed under mpirun (cuda tensors through NCCL with one GPU per rank, when there are 2 GPUs and libnccl.so.2; it says why not otherwise)" npm run -s test:distributed
run_step 7 "the quick benchmark (cuda rows: % of the device's copy bandwidth)" npm run bench -- --quick
[ -d bench/results/quick ] && cp bench/results/quick/*.md "$OUT_DIR/" 2>/dev/null

{
  printf '# GPU check, %s\n\n' "$(date -u +'%F %H:%M UTC')"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/device: /'
  printf '\n| step | what | result | time | log |\n|---|---|---|---:|---|\n'
  cat "$SUMMARY"
} >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"
printf '\n'
cat "$SUMMARY"
exit "$FAILED"
