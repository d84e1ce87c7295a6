#!/bin/sh
# bench/ceiling.sh — the database ceiling of a durable send: how many sends per second PostgreSQL and SQLite
# can commit on this machine when nothing but the database costs anything. bench/run.sh runs it as step 7;
# it also runs alone (about 2 × BENCH_DURATION + 10 seconds):
#
#   sh bench/ceiling.sh [CLIENTS]       CLIENTS: concurrent senders (default 64, as in step 2)
#
# PostgreSQL: a throwaway PostgreSQL 15 cluster (scripts/pg.sh: fsync and synchronous_commit on), the send's
#   tables (bench/pg_schema.sql, bench/pg_seed.sql), then pgbench with CLIENTS connections for BENCH_DURATION
#   seconds, each transaction one send (bench/pg_send.sql: the send's reads, the message, last_seq, read_seq and
#   one event per member), prepared statements. Figure: pgbench's tps. PostgreSQL batches the commits' WAL
#   flushes of concurrent transactions by itself; pg_stat_wal gives the WAL syncs and bytes per send.
# SQLite: bench/sqlite_ceiling.c, the same statements in WAL mode with synchronous=FULL, BATCH sends per
#   commit with a savepoint each, the way posternd's group-commit writer runs a full queue; BATCH = CLIENTS
#   (every sender has one send waiting, the best case for the writer; capped at posternd's --max-batch, 256).
#   Figure: sends committed per second.
# Both use one CPU-bound client on the same 2 cores, over a Unix socket for PostgreSQL and in-process for
# SQLite; neither includes HTTP, JSON or validation, so each is an upper bound for posternd on that database.
#
# Prints the figures and one line CEILINGRESULT pg_tps=… sqlite_per_s=… pg_vs_sqlite=… (for bench/run.sh).
# Environment: BENCH_DURATION (seconds per measured run, default 10). Needs postgresql-15 and libsqlite3-dev
# (scripts/deps.sh); as root the cluster runs as the postgres user. Everything it starts is stopped on exit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CLIENTS=${1:-64}
DUR=${BENCH_DURATION:-10}
case $CLIENTS in '' | *[!0-9]*) echo "ceiling: CLIENTS must be a number (got '$CLIENTS')" >&2; exit 2 ;; esac
[ "$CLIENTS" -ge 1 ] && [ "$CLIENTS" -le 500 ] || { echo "ceiling: CLIENTS must be 1 to 500" >&2; exit 2; }
BATCH=$CLIENTS
[ "$BATCH" -le 256 ] || BATCH=256
[ -x "$PG_BIN/pgbench" ] || { echo "ceiling: $PG_BIN/pgbench not found: sh scripts/deps.sh installs postgresql-15" >&2; exit 1; }

W=$(mktemp -d /tmp/postern-ceiling.XXXXXX)
chmod 755 "$W" # the cluster's owner (postgres, when we are root) must reach $W/pg
cleanup() {
	sh "$root/scripts/pg.sh" stop "$W/pg" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -Wall -Wextra -o "$W/sqlite_ceiling" "$here/sqlite_ceiling.c" $(pkg-config --cflags --libs sqlite3)
# one 1 KiB random body as base64url without padding (1,366 characters), as bench/send.lua sends
BODY=$(head -c 1024 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')

# ---- PostgreSQL -------------------------------------------------------------------------------------------------
eval "$(PG_WATCH=$$ PG_MAX_CONNECTIONS=$((CLIENTS + 10)) sh "$root/scripts/pg.sh" start "$W/pg")"
psql_q() { "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$PG_URL" "$@"; }
psql_q -f "$here/pg_schema.sql" >/dev/null
psql_q -v senders="$CLIENTS" -f "$here/pg_seed.sql" >/dev/null
pgb() { # pgb SECONDS: the send transaction with CLIENTS connections on 2 pgbench threads
	timeout $(($1 + 60)) "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$1" -D senders="$CLIENTS" -D body="$BODY" \
		-f "$here/pg_send.sql" "$PG_URL"
}
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'): pgbench -c $CLIENTS -j 2 -T $DUR, one send per transaction =="
pgb 2 >/dev/null # warm-up
wal() { psql_q -F ' ' -c "SELECT wal_sync, wal_bytes, (SELECT count(*) FROM messages) FROM pg_stat_wal"; }
w0=$(wal)
pgb "$DUR" >"$W/pgbench.out" 2>&1 || { cat "$W/pgbench.out"; echo "ceiling: pgbench failed"; exit 1; }
w1=$(wal)
grep -E '^(number of (transactions|failed)|latency average|tps)' "$W/pgbench.out" | sed 's/^/  /'
PG_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$W/pgbench.out")
[ -n "$PG_TPS" ] || { cat "$W/pgbench.out"; echo "ceiling: no tps in pgbench's output"; exit 1; }
PG_PER_SYNC=$(echo "$w0 $w1" | awk '{s = $4 - $1; n = $6 - $3; printf "%.1f", (s > 0 ? n / s : 0)}')
PG_WAL_KIB=$(echo "$w0 $w1" | awk '{n = $6 - $3; printf "%.1f", (n > 0 ? ($5 - $2) / n / 1024 : 0)}')
echo "  -> $PG_TPS sends/s; $PG_PER_SYNC sends per WAL sync; $PG_WAL_KIB KiB of WAL per send (pg_stat_wal)"
sh "$root/scripts/pg.sh" stop "$W/pg"
echo

# ---- SQLite -----------------------------------------------------------------------------------------------------
echo "== SQLite $(pkg-config --modversion sqlite3): WAL, synchronous=FULL, $BATCH sends per commit, ${DUR} s =="
"$W/sqlite_ceiling" "$W/warm.db" 2 "$BATCH" "$CLIENTS" >/dev/null # warm-up
"$W/sqlite_ceiling" "$W/send.db" "$DUR" "$BATCH" "$CLIENTS" >"$W/sqlite.out"
R=$(grep '^SQLITERESULT' "$W/sqlite.out")
SQ_PER_S=$(echo "$R" | tr ' ' '\n' | sed -n 's/^per_s=//p')
echo "  $R"
echo "  -> $SQ_PER_S sends/s; $BATCH sends per commit"
echo

RATIO=$(echo "$PG_TPS $SQ_PER_S" | awk '{printf "%.2f", ($2 > 0 ? $1 / $2 : 0)}')
echo "== database ceiling: PostgreSQL $PG_TPS / SQLite $SQ_PER_S sends/s = $RATIO =="
echo "CEILINGRESULT pg_tps=$PG_TPS sqlite_per_s=$SQ_PER_S pg_vs_sqlite=$RATIO pg_sends_per_wal_sync=$PG_PER_SYNC pg_wal_kib_per_send=$PG_WAL_KIB sqlite_batch=$BATCH clients=$CLIENTS"
