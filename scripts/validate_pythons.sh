#!/usr/bin/env bash
# Run the full validation (`make test`) on every supported Python, one after the other.
#
#   scripts/validate_pythons.sh                      every Python 3.11 to 3.15 found: each
#                                                    patch release pyenv has, and python3.X
#                                                    on the PATH (a missing minor version is
#                                                    a failure)
#   scripts/validate_pythons.sh python3.12 /opt/py/bin/python3.13   these interpreters
#
# Patch releases matter (3.13.3 changed loop.create_task), so 3.13.0 from pyenv and a
# newer 3.13 on the PATH are both run.  Each interpreter gets its own virtual environment
# (.venv-3.13.0, .venv-3.13.18, ...; `make` creates it the first time).  Interpreters run
# one at a time: the lessons' timing stamps are only reproducible when the machine is not
# running two validations at once.  Prints a summary line per interpreter; exits 1 if any
# failed or a supported version was not found.
set -uo pipefail
cd "$(dirname "$0")/.."

VERSIONS=(3.11 3.12 3.13 3.14 3.15)  # supported: a missing one is a failure

release_of() {  # release_of /path/to/python -> 3.13.18
    "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null
}

find_pythons() {  # find_pythons 3.13 -> one line per interpreter found, distinct releases
    local version=$1 prefix path
    {
        if command -v pyenv >/dev/null 2>&1; then
            for prefix in $(pyenv prefix "$version" 2>/dev/null) \
                $(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" \
                  | while read -r v; do pyenv prefix "$v" 2>/dev/null; done); do
                [ -x "$prefix/bin/python$version" ] && echo "$prefix/bin/python$version"
            done
        fi
        command -v "python$version" 2>/dev/null
    } | while read -r path; do
        release=$(release_of "$path") && [ -n "$release" ] && echo "$release $path"
    done | sort -u -k1,1 | cut -d' ' -f2-
}

interpreters=()
missing=()
if [ $# -gt 0 ]; then
    interpreters=("$@")
else
    for version in "${VERSIONS[@]}"; do
        found=$(find_pythons "$version")
        if [ -n "$found" ]; then
            while read -r path; do interpreters+=("$path"); done <<<"$found"
        else
            missing+=("$version")
        fi
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
