#!/usr/bin/env bash
# The one test command: installs what is missing, builds once, runs every test project under tests/,
# and ends with the plain line "N passed, N failed" summed from the real TRX results.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

chromium="${QP_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "Installing Chromium for the browser tests (apt)…"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: $chromium is missing and cannot be installed here; the E2E tests will fail (set QP_CHROMIUM)." >&2
    fi
fi

dotnet tool restore >/dev/null || { echo "dotnet tool restore failed"; echo "0 passed, 1 failed"; exit 1; }

results="$(pwd)/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

if ! dotnet build QuotaPortal.sln -c Debug -nologo -clp:ErrorsOnly; then
    echo "Build failed."
    echo "0 passed, 1 failed"
    exit 1
fi

status=0
for project in tests/*/*.csproj; do
    name="$(basename "$project" .csproj)"
    echo "=== $name"
    dotnet test --project "$project" --no-build -c Debug --report-xunit-trx --report-xunit-trx-filename "$name.trx" \
        --results-directory "$results/$name" || status=1
done

attr() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2" | head -n1; }
passed=0
failed=0
for dir in "$results"/*/; do
    project="$(basename "$dir")"
    trx="$(ls "$dir"*.trx 2>/dev/null | head -n1)"
    if [ -z "$trx" ]; then
        echo "$project: no TRX results (the run did not complete)"
        failed=$((failed + 1))
        continue
    fi
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n1)"
    p=$(attr passed "$counters"); f=$(attr failed "$counters"); e=$(attr error "$counters"); t=$(attr timeout "$counters"); a=$(attr aborted "$counters")
    f=$(( ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0} ))
    echo "$project: ${p:-0} passed, $f failed"
    # Name the failures so a CI log that is cut short still says what broke.
    grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"[^>]*>' "$trx" \
        | sed -n 's/.*testName="\([^"]*\)".*/  FAILED: \1/p'
    passed=$((passed + ${p:-0}))
    failed=$((failed + f))
done
# A runner that failed without reporting a failed test still fails the run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
