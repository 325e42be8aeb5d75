#!/usr/bin/env bash
# Runs every benchmark in turn (nothing else may load the machine meanwhile: stop training
# first) and prints Markdown: bash bench/run_all.sh > docs/benchmarks.md
# bench/yolo_seg.py needs Ultralytics in its own venv: set ULTRALYTICS_PY to its python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
echo "# Benchmarks"
echo
CPU=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs)
SIMD=$(grep -m1 -o -w "avx2\|avx512f\|avx512_vnni\|avx_vnni" /proc/cpuinfo | sort -u | xargs)
echo "Machine: $(nproc) cores of $CPU ($SIMD), $(uname -m), $(python3 --version 2>&1); run on $(date -u +%Y-%m-%d) with \`bash bench/run_all.sh\`."
echo "INT8 speed and accuracy depend on the SIMD set: CPUs with VNNI run INT8 convolutions natively."
echo "Every figure is a median over repeated runs in one process; ratios compare runs made in the same process."
for b in predict default_model yolo_equivalence stream batch serve_load panoptic; do
  echo
  echo "## bench/$b.py"
  echo
  case $b in
    stream) $PY bench/$b.py --repeat 3 --soak "${SOAK:-10000}" ;;
    *) $PY bench/$b.py ;;
  esac
done
if [ -n "${ULTRALYTICS_PY:-}" ]; then
  echo
  echo "## bench/yolo_seg.py (Ultralytics $($ULTRALYTICS_PY -c 'import ultralytics; print(ultralytics.__version__)'))"
  echo
  $ULTRALYTICS_PY bench/yolo_seg.py
  echo
  echo "## bench/yolo_dynamic.py"
  echo
  $ULTRALYTICS_PY bench/yolo_dynamic.py
  echo
  echo "## bench/ultralytics_speed.py"
  echo
  $PY bench/ultralytics_speed.py --ultra-python "$ULTRALYTICS_PY"
fi
