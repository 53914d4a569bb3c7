#!/usr/bin/env bash
# Run the full validation (`make test`) on every supported Python, one after the other.
#
#   scripts/validate_pythons.sh                      3.11, 3.12 and 3.13, found through pyenv
#                                                    or as python3.X on the PATH (and 3.14
#                                                    when one is installed)
#   scripts/validate_pythons.sh python3.12 /opt/py/bin/python3.13   these interpreters
#
# Each interpreter gets its own virtual environment (.venv-3.12, ...; `make` creates it
# the first time).  Interpreters run one at a time: the lessons' timing stamps are
# only reproducible when the machine is not running two validations at once.
# Prints a summary line per interpreter; exits 1 if any failed or was not found.
set -uo pipefail
cd "$(dirname "$0")/.."

VERSIONS=(3.11 3.12 3.13)  # supported: a missing one is a failure
OPTIONAL=(3.14)            # run when installed, skipped quietly otherwise

find_python() {  # find_python 3.12 -> path of a python3.12, or nothing
    local version=$1 prefix
    if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix "$version" 2>/dev/null); then
        # `pyenv prefix 3.12` may list several matches, one per line: take the last
        prefix=$(printf '%s\n' "$prefix" | tail -n 1)
        if [ -x "$prefix/bin/python$version" ]; then
            echo "$prefix/bin/python$version"
            return
        fi
    fi
    command -v "python$version" 2>/dev/null || true
}

interpreters=()
missing=()
if [ $# -gt 0 ]; then
    interpreters=("$@")
else
    for version in "${VERSIONS[@]}"; do
        found=$(find_python "$version")
        if [ -n "$found" ]; then interpreters+=("$found"); else missing+=("$version"); fi
    done
    for version in "${OPTIONAL[@]}"; do
        found=$(find_python "$version")
        if [ -n "$found" ]; then interpreters+=("$found"); fi
    done
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/validate-pythons.XXXXXX")
summary=()
failed=0
for python in "${interpreters[@]}"; do
    if ! version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null); then
        summary+=("$(printf '%-8s %-6s %s' '?' 'FAIL' "$python does not run")")
        failed=1
        continue
    fi
    log="$logs/python$version.log"
    echo "=== Python $version ($python): make test PYTHON=$python (log: $log)"
    started=$(date +%s)
    make --no-print-directory test PYTHON="$python" >"$log" 2>&1
    status=$?
    seconds=$(($(date +%s) - started))
    # pytest's last line, e.g. "72 passed in 41.3s" (or why make stopped)
    result=$(grep -E '[0-9]+ (passed|failed|errors?)' "$log" | tail -n 1 | sed -E 's/^=+ | =+$//g')
    if [ "$status" -eq 0 ]; then
        verdict=ok
    else
        verdict=FAIL
        failed=1
        [ -n "$result" ] || result="make exited with status $status"
        echo "--- last lines of the log:"
        tail -n 25 "$log"
    fi
    line=$(printf '%-8s %-5s %5ss  %s' "$version" "$verdict" "$seconds" "$result")
    echo "$line"
    summary+=("$line")
done

echo
echo "Summary (logs in $logs):"
printf '%-8s %-5s %6s  %s\n' python result time 'pytest'
for line in "${summary[@]}"; do echo "$line"; done
for version in "${missing[@]}"; do
    printf '%-8s %-5s %6s  %s\n' "$version" MISSING - "no python$version (pyenv install $version, or pass its path)"
    failed=1
done
exit "$failed"
