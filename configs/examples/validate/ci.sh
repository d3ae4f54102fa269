#!/bin/sh
# A CI step that fails the pipeline when the candidate regresses a metric.
#
#   configs/examples/validate/ci.sh [BASELINE CANDIDATE]
#
# Defaults to the example's files. `rlab validate` exits 0 when the gate passes, 1 when a metric
# regressed (--fail-on regression), 2 on a usage error and 3 on bad input; the step passes the
# code on, so any of them stops the pipeline. The JUnit file feeds the CI's test report and the
# Markdown table can be posted on the pull request.
set -u
here=$(dirname "$0")
rlab=${RLAB:-rlab}
baseline=${1:-$here/baseline.csv}
candidate=${2:-$here/candidate.csv}
out=${OUT_DIR:-.}

"$rlab" validate "main=$baseline" "pr=$candidate" \
  --metric accuracy:higher --metric recall:higher --metric f1:higher:1% \
  --fail-on regression --junit "$out/validate-junit.xml" --format md > "$out/validate.md"
status=$?
cat "$out/validate.md"
case $status in
  0) echo "validate: no regression" ;;
  1) echo "validate: regression, failing the build" >&2 ;;
  *) echo "validate: could not compare (exit $status)" >&2 ;;
esac
exit $status
