#!/usr/bin/env bash
# The one test command: installs what is missing, builds once, runs every test project under tests/, runs the
# API/integration suite (QuotaPortal.Tests) a second time on PostgreSQL, and ends with the plain line "N passed, N failed"
# summed from the real TRX results.
# PostgreSQL: QP_POSTGRES (a connection string to a server the tests may create databases on) if set; otherwise a throw-away
# cluster in a temp folder on a free loopback port, installed with apt when missing, stopped at the end.
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

as_postgres() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_dir=""
stop_postgres() {
    if [ -n "$pg_dir" ]; then
        as_postgres "$pgbin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
        rm -rf "$pg_dir"
        pg_dir=""
    fi
}
trap stop_postgres EXIT
start_postgres() {
    [ -n "${QP_POSTGRES:-}" ] && return 0
    pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    if [ -z "$pgbin" ]; then
        echo "Installing PostgreSQL for the PostgreSQL test pass (apt)…"
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        fi
        pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    fi
    if [ -z "$pgbin" ]; then
        echo "PostgreSQL is missing and cannot be installed here (set QP_POSTGRES to use a server)." >&2
        return 1
    fi
    pg_dir="$(mktemp -d /tmp/qp-pg.XXXXXX)"
    [ "$(id -u)" = "0" ] && chown postgres "$pg_dir"
    # C locale: byte order as SQLite compares, and the fastest. No fsync: the cluster is thrown away.
    as_postgres "$pgbin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 \
        || { cat "$pg_dir/initdb.log" >&2; return 1; }
    for _ in 1 2 3 4 5; do
        port=$(( 20000 + RANDOM % 40000 ))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
        if as_postgres "$pgbin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
            -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
            export QP_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres"
            echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throw-away cluster in $pg_dir)"
            return 0
        fi
    done
    cat "$pg_dir/server.log" >&2
    return 1
}

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

# The same API/integration suite on PostgreSQL: every feature on both providers.
echo "=== QuotaPortal.Tests on PostgreSQL"
if start_postgres; then
    QP_TEST_PROVIDER=postgres dotnet test --project tests/QuotaPortal.Tests/QuotaPortal.Tests.csproj --no-build -c Debug \
        --report-xunit-trx --report-xunit-trx-filename "QuotaPortal.Tests.Postgres.trx" \
        --results-directory "$results/QuotaPortal.Tests.Postgres" || status=1
    stop_postgres
else
    mkdir -p "$results/QuotaPortal.Tests.Postgres" # no TRX: counted as a failed run below
    status=1
fi

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
    # Name the failures, with the first lines of their message and where in our code they broke, so a CI log that is cut short
    # still says what broke and why (perl-base is part of every Debian install).
    perl -0777 -ne '
        my %ent = (lt => "<", gt => ">", amp => "&", quot => "\"", apos => "\x27");
        sub text { my $t = shift // ""; $t =~ s/&(lt|gt|amp|quot|apos);/$ent{$1}/g; $t =~ s/&#x?([0-9a-fA-F]+);/ /g; return $t }
        while (/(<UnitTestResult [^>]*?)(\/>|>(.*?)<\/UnitTestResult>)/sg) {
            my ($tag, $body) = ($1, $3 // "");
            next unless $tag =~ /outcome="(Failed|Error|Timeout|Aborted)"/;
            my ($name) = $tag =~ /testName="([^"]*)"/;
            print "  FAILED: ", text($name), "\n";
            my ($msg) = $body =~ /<Message>(.*?)<\/Message>/s;
            my @lines = grep { /\S/ } split /\r?\n/, text($msg);
            print "    | $_\n" for @lines[0 .. ($#lines < 9 ? $#lines : 9)];
            my ($stack) = $body =~ /<StackTrace>(.*?)<\/StackTrace>/s;
            my @ours = grep { /QuotaPortal/ } split /\r?\n/, text($stack);
            print "    | $_\n" for @ours[0 .. ($#ours < 3 ? $#ours : 3)];
        }' "$trx"
    passed=$((passed + ${p:-0}))
    failed=$((failed + f))
done
# A runner that failed without reporting a failed test still fails the run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
