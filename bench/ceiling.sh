#!/bin/sh
# bench/ceiling.sh — the database ceiling of a durable send: how many sends per second PostgreSQL and SQLite
# can commit on this machine when nothing but the database costs anything. bench/run.sh runs it as step 7;
# it also runs alone (about 4 × BENCH_DURATION + 15 seconds):
#
#   sh bench/ceiling.sh [CLIENTS]       CLIENTS: concurrent senders (default 64, as in step 2)
#   sh bench/ceiling.sh --writer-script BATCH SAVEPOINTS
#                                       print the one-writer pgbench script (below) and exit: BATCH sends,
#                                       with posternd's savepoints when SAVEPOINTS is 1
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
# PostgreSQL, one writer: what posternd's design allows on PostgreSQL. posternd has one writer connection per
#   node that runs a whole group of sends in one transaction; on PostgreSQL every statement that may write runs
#   in a savepoint of its own (src/server/store/pg.c), and every send in one more (dbexec.c). pgbench -c 1 runs
#   WRITER_BATCH (default 32, the group size posternd reached on PostgreSQL in step 8) sends per transaction
#   (bench/pg_writer_send.sql: pg_send.sql's statements without \gset), twice: the statements alone, then
#   with posternd's savepoints (SAVEPOINT req, SAVEPOINT stmt / RELEASE SAVEPOINT stmt around each UPDATE and
#   INSERT, RELEASE SAVEPOINT req), each one more round trip. Figures: sends per second each, and their ratio:
#   the savepoints' cost. These run with -M extended, not prepared: pgbench 15 crashes (realloc) on a long
#   prepared script and on one with a few hundred \gset. Each statement is then parsed and planned every
#   time, which posternd (prepared) does not do, so both figures are below what posternd's writer could do
#   and the savepoints' share of the time is understated.
#
# Prints the figures and one line CEILINGRESULT pg_tps=… sqlite_per_s=… pg_vs_sqlite=… pg_writer_per_s=…
# pg_writer_sp_per_s=… (for bench/run.sh).
# Environment: BENCH_DURATION (seconds per measured run, default 10), WRITER_BATCH (default 32). Needs
# postgresql-15 and libsqlite3-dev (scripts/deps.sh); as root the cluster runs as the postgres user. Everything
# it starts is stopped on exit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

# one writer connection, BATCH sends per transaction: pg_writer_send.sql's statements BATCH times (sender
# k % N + 1 into its own thread), with posternd's savepoints when $2 is 1
writer_script() { # writer_script BATCH SAVEPOINTS
	awk -v b="$1" -v sp="$2" '
		/^--/ || NF == 0 {next}
		{st[++n] = $0}
		END {
			print "BEGIN;"
			for (k = 0; k < b; k++) {
				print "\\set thread " k " % :senders + 1"
				print "\\set sender :thread + 1"
				print "\\set r random(1, 9000000000000000000)"
				if (sp) print "SAVEPOINT req;"
				for (i = 1; i <= n; i++) {
					w = sp && st[i] ~ /^(UPDATE|INSERT)/
					if (w) print "SAVEPOINT stmt;"
					print st[i]
					if (w) print "RELEASE SAVEPOINT stmt;"
				}
				if (sp) print "RELEASE SAVEPOINT req;"
			}
			print "END;"
		}' "$here/pg_writer_send.sql"
}
if [ "${1:-}" = --writer-script ]; then # --writer-script BATCH SAVEPOINTS: print the one-writer script (for tests/pg)
	writer_script "${2:-32}" "${3:-1}"
	exit 0
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CLIENTS=${1:-64}
DUR=${BENCH_DURATION:-10}
case $CLIENTS in '' | *[!0-9]*) echo "ceiling: CLIENTS must be a number (got '$CLIENTS')" >&2; exit 2 ;; esac
[ "$CLIENTS" -ge 1 ] && [ "$CLIENTS" -le 500 ] || { echo "ceiling: CLIENTS must be 1 to 500" >&2; exit 2; }
BATCH=$CLIENTS
[ "$BATCH" -le 256 ] || BATCH=256
WBATCH=${WRITER_BATCH:-32}
case $WBATCH in '' | *[!0-9]*) echo "ceiling: WRITER_BATCH must be a number (got '$WBATCH')" >&2; exit 2 ;; esac
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

writer_script "$WBATCH" 0 >"$W/writer.sql"
writer_script "$WBATCH" 1 >"$W/writer_sp.sql"
pgw() { # pgw SECONDS SCRIPT: one connection
	timeout $(($1 + 60)) "$PG_BIN/pgbench" -n -M extended -c 1 -j 1 -T "$1" -D senders="$CLIENTS" -D body="$BODY" -f "$2" "$PG_URL"
}
echo "== PostgreSQL, one writer connection: $WBATCH sends per transaction, without and with posternd's savepoints, ${DUR} s each =="
pgw 2 "$W/writer_sp.sql" >/dev/null # warm-up
for v in writer writer_sp; do
	pgw "$DUR" "$W/$v.sql" >"$W/$v.out" 2>&1 || { cat "$W/$v.out"; echo "ceiling: pgbench ($v) failed"; exit 1; }
done
PGW=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$W/writer.out" | awk -v b="$WBATCH" '{printf "%.1f", $1 * b}')
PGW_SP=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$W/writer_sp.out" | awk -v b="$WBATCH" '{printf "%.1f", $1 * b}')
[ -n "$PGW" ] && [ -n "$PGW_SP" ] || { cat "$W/writer.out" "$W/writer_sp.out"; echo "ceiling: no tps in pgbench's output"; exit 1; }
SP_COST=$(echo "$PGW $PGW_SP" | awk '{printf "%.2f", ($2 > 0 ? $1 / $2 : 0)}')
echo "  -> statements alone: $PGW sends/s; with posternd's savepoints: $PGW_SP sends/s; the savepoints make a send $SP_COST x as slow"
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
echo "CEILINGRESULT pg_tps=$PG_TPS sqlite_per_s=$SQ_PER_S pg_vs_sqlite=$RATIO pg_sends_per_wal_sync=$PG_PER_SYNC pg_wal_kib_per_send=$PG_WAL_KIB sqlite_batch=$BATCH clients=$CLIENTS pg_writer_per_s=$PGW pg_writer_sp_per_s=$PGW_SP savepoint_cost=$SP_COST writer_batch=$WBATCH"
