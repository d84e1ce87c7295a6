#!/bin/sh
# tests/pg/run.sh — the pg-infra tier: scripts/pg.sh's throwaway PostgreSQL clusters, and the database
# ceiling of `make bench` (bench/pg_schema.sql, bench/pg_send.sql, and the one-writer script of bench/ceiling.sh)
# checked for what it writes.
#
#   sh tests/pg/run.sh [BUILD]  prints "ok   NAME" / "FAIL NAME: why" lines and "pg-infra: N passed, N failed";
#                               with BUILD (a build directory), also BUILD/tests/test_bus's PostgreSQL cases
#                               (the LISTEN/NOTIFY bus, two nodes in one process) on a cluster of their own
#
# Every cluster it starts lives under one mktemp directory and is stopped on exit; the last checks make sure
# no postgres process and no watchdog of ours is left running. It needs postgresql-15 and
# postgresql-client-15 (scripts/deps.sh installs them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PG=$root/scripts/pg.sh
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME WHY CMD...: ok when CMD succeeds, else FAIL with WHY
check() {
	name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else fail "$name" "$why"; fi
}

T=$(mktemp -d /tmp/postern-pgtest.XXXXXX)
chmod 755 "$T" # the clusters' owner (postgres, when we are root) must reach the directories under it
cleanup() {
	for d in "$T"/c*; do
		[ -d "$d" ] && sh "$PG" stop "$d" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# processes whose command line names $1 (postgres backends show their data directory only in the postmaster,
# so callers pass the directory and also check the postmaster pid itself)
procs_naming() {
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -F "$1" && echo "${p#/proc/}"
	done
	return 0
}
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# wait_gone PID SECONDS
wait_gone() {
	i=0
	while ! gone "$1" && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	gone "$1"
}
psql_q() { "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }

if [ ! -x "$PG_BIN/initdb" ] || ! command -v psql >/dev/null 2>&1; then
	fail pg.installed "postgresql-15 / postgresql-client-15 missing (sh scripts/deps.sh installs them)"
	echo "pg-infra: $passed passed, $failed failed"
	exit 1
fi

# ---- 1. start: URL and pid, reachable over the socket, the settings we promise --------------------------------
A=$T/c1
out=$(PG_WATCH=$$ sh "$PG" start "$A" 2>"$T/start.err")
rc=$?
PG_URL="" PG_PID="" PG_TCP_URL=""
[ $rc = 0 ] && eval "$out"
check pg.start_prints_url_and_pid "rc=$rc, out: $out $(cat "$T/start.err")" \
	sh -c '[ "$1" = 0 ] && [ -n "$2" ] && [ -n "$3" ] && kill -0 "$3"' _ "$rc" "$PG_URL" "$PG_PID"
case $PG_URL in
"postgresql://postern@/postern?host=$A&"*) ok pg.url_names_socket_dir ;;
*) fail pg.url_names_socket_dir "got '$PG_URL'" ;;
esac
port=$(echo "$PG_URL" | sed -n 's/.*[?&]port=\([0-9]*\).*/\1/p')
check pg.isready "pg_isready -h $A -p $port failed" "$PG_BIN/pg_isready" -q -h "$A" -p "$port"
got=$(psql_q "$PG_URL" -c "SELECT current_user || ' ' || current_database()" 2>&1)
check pg.psql_as_postern "got '$got'" [ "$got" = "postern postern" ]
got=$(psql_q "$PG_URL" -c "SELECT current_setting('fsync') || current_setting('synchronous_commit') || current_setting('full_page_writes')" 2>&1)
check pg.durable_settings "fsync/synchronous_commit/full_page_writes: '$got'" [ "$got" = "ononon" ]
got=$(psql_q "$PG_URL" -c "SHOW listen_addresses" 2>&1)
check pg.socket_only "listen_addresses is '$got'" [ "$got" = "" ]
if [ "$(id -u)" = 0 ]; then
	got=$(ps -o user= -p "$PG_PID" 2>/dev/null | tr -d ' ')
	check pg.runs_unprivileged "the postmaster runs as '$got'" sh -c '[ -n "$1" ] && [ "$1" != root ]' _ "$got"
fi
got=$(psql_q "$PG_URL" -c "CREATE TABLE t(x int); INSERT INTO t VALUES (1); SELECT count(*) FROM t" 2>&1)
check pg.role_owns_database "create/insert as postern: '$got'" [ "$got" = 1 ]
# a second start into the same directory must refuse and leave the running cluster alone
sh "$PG" start "$A" >/dev/null 2>"$T/again.err"
rc=$?
check pg.refuses_nonempty_dir "rc=$rc, cluster alive: $(kill -0 "$PG_PID" 2>&1 && echo yes)" \
	sh -c '[ "$1" != 0 ] && kill -0 "$2" && grep -q "not empty" "$3"' _ "$rc" "$PG_PID" "$T/again.err"
# stop refuses a directory it did not make
mkdir -p "$T/foreign" && echo keep >"$T/foreign/file"
sh "$PG" stop "$T/foreign" 2>/dev/null
rc=$?
check pg.stop_refuses_foreign_dir "rc=$rc" sh -c '[ "$1" != 0 ] && [ -f "$2" ]' _ "$rc" "$T/foreign/file"

# ---- 2. stop: the cluster, its backends and its watchdog are gone, and so is DIR ------------------------------
wd=$(cat "$A/watchdog.pid" 2>/dev/null)
backends=$(ps -o pid= --ppid "$PG_PID" 2>/dev/null | tr -d ' ' | tr '\n' ' ')
sh "$PG" stop "$A"
rc=$?
check pg.stop "rc=$rc, dir left: $(ls -d "$A" 2>/dev/null)" sh -c '[ "$1" = 0 ] && [ ! -e "$2" ]' _ "$rc" "$A"
left=$(procs_naming "$A")
all_gone() { # all_gone PID...: every one gone (a zombie waiting for its reaper counts as gone)
	for x in "$@"; do gone "$x" || return 1; done
}
# (the watchdog and the backends must have existed, or the check below proves nothing)
check pg.stop_leaves_nothing "watchdog '$wd', backends '$backends', processes naming $A: '$left'" \
	sh -c '[ -n "$1" ] && [ -n "$2" ] && [ -z "$3" ]' _ "$wd" "$backends" "$left"
check pg.stop_ends_postmaster_backends_watchdog "still alive:$(for x in $PG_PID $backends $wd; do gone "$x" || printf ' %s' "$x"; done)" \
	all_gone $PG_PID $backends $wd
sh "$PG" stop "$A"
check pg.stop_twice_is_fine "a second stop of a removed DIR failed" [ $? = 0 ]

# ---- 3. the watchdog: when the watched process dies, the cluster stops and DIR goes --------------------------
B=$T/c2
sleep 300 &
victim=$!
out=$(PG_WATCH=$victim sh "$PG" start "$B" 2>&1)
PG_PID=""
eval "$out" 2>/dev/null
if [ -n "$PG_PID" ] && kill -0 "$PG_PID"; then
	kill "$victim"
	wait "$victim" 2>/dev/null
	wait_gone "$PG_PID" 15
	i=0
	while [ -e "$B" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	check pg.watchdog_stops_orphan "postmaster alive: $(gone "$PG_PID" || echo yes), dir left: $(ls -d "$B" 2>/dev/null)" \
		sh -c '! kill -0 "$1" 2>/dev/null && [ ! -e "$2" ]' _ "$PG_PID" "$B"
else
	kill "$victim" 2>/dev/null
	fail pg.watchdog_stops_orphan "the cluster did not start: $out"
fi

# ---- 4. optional loopback port: password required, the one in DIR/password works --------------------------
C=$T/c3
out=$(PG_PORT=0 PG_WATCH=$$ sh "$PG" start "$C" 2>&1)
PG_TCP_URL="" PG_URL="" PG_PID=""
eval "$out" 2>/dev/null
case $PG_TCP_URL in
postgresql://postern:*@127.0.0.1:*/postern)
	got=$(psql_q "$PG_TCP_URL" -c "SELECT inet_server_addr()" 2>&1)
	check pg.tcp_loopback_with_password "got '$got'" [ "$got" = 127.0.0.1 ]
	nopw=$(echo "$PG_TCP_URL" | sed 's/:[^:@]*@/@/')
	PGPASSWORD="" PGPASSFILE=/dev/null "$PG_BIN/psql" -X -w "$nopw" -c "SELECT 1" >/dev/null 2>&1
	check pg.tcp_refuses_without_password "a TCP connection without password was let in" [ $? != 0 ]
	;;
*) fail pg.tcp_loopback_with_password "no PG_TCP_URL: $out" ;;
esac
# a start that fails (its port is taken, by cluster c3) says why and leaves no directory and no process
D=$T/c4
tcp_port=$(echo "$PG_TCP_URL" | sed -n 's/.*@127.0.0.1:\([0-9]*\)\/.*/\1/p')
PG_PORT=${tcp_port:-1} PG_WATCH=$$ sh "$PG" start "$D" >"$T/d.out" 2>"$T/d.err"
rc=$?
sleep 0.3
left=$(procs_naming "$D")
check pg.failed_start_cleans_up "rc=$rc, dir left: $(ls -d "$D" 2>/dev/null), processes: '$left', said: $(tail -n 3 "$T/d.err")" \
	sh -c '[ "$1" != 0 ] && [ ! -e "$2" ] && [ -z "$3" ] && grep -q "did not start" "$4"' _ "$rc" "$D" "$left" "$T/d.err"

# ---- 5. the bench ceiling's transaction: what one durable send writes ------------------------------------------
# bench/pg_schema.sql + bench/pg_seed.sql, then pgbench with bench/pg_send.sql for 2 s; afterwards the rows must
# add up the way posternd's would: one message and one event per member (two, direct threads) per transaction,
# each thread's last_seq equal to its messages' count and highest seq, the sender's read_seq at last_seq
if [ -n "$PG_URL" ] && psql_q "$PG_URL" -f "$root/bench/pg_schema.sql" >"$T/schema.out" 2>&1 &&
	psql_q "$PG_URL" -v senders=8 -f "$root/bench/pg_seed.sql" >>"$T/schema.out" 2>&1; then
	ok bench.pg_schema_loads
	body=$(head -c 1024 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
	"$PG_BIN/pgbench" -n -M prepared -c 4 -j 2 -T 2 -D senders=8 -D body="$body" -f "$root/bench/pg_send.sql" \
		"$PG_URL" >"$T/pgbench.out" 2>&1
	rc=$?
	tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$T/pgbench.out")
	check bench.pgbench_runs "rc=$rc: $(tail -n 5 "$T/pgbench.out")" sh -c '[ "$1" = 0 ] && [ "${2:-0}" -gt 0 ]' _ "$rc" "$tx"
	got=$(psql_q "$PG_URL" -F ' ' -c "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events),
		(SELECT count(*) FROM threads t WHERE t.last_seq <> (SELECT count(*) FROM messages m WHERE m.thread_id = t.id)
			OR t.last_seq <> (SELECT COALESCE(max(seq), 0) FROM messages m WHERE m.thread_id = t.id)),
		(SELECT count(*) FROM members b JOIN threads t ON t.id = b.thread_id
			WHERE b.user_id = t.creator AND b.read_seq <> t.last_seq),
		(SELECT count(*) FROM events e JOIN messages m ON m.id = e.ref_id WHERE e.type = 'message.created'),
		(SELECT count(DISTINCT length(body)) FROM messages)" 2>&1)
	want="$tx $((2 * ${tx:-0})) 0 0 $((2 * ${tx:-0})) 1"
	check bench.pg_send_writes_what_a_send_writes "messages events bad_threads bad_read_seq linked_events body_lengths: got '$got', want '$want'" \
		[ "$got" = "$want" ]
	# the one-writer script of bench/ceiling.sh (groups of sends in one transaction, with posternd's savepoints)
	# writes the same rows: 2 transactions of 8 sends more, and the same sums still hold
	sh "$root/bench/ceiling.sh" --writer-script 8 1 >"$T/writer.sql" 2>&1 &&
		"$PG_BIN/pgbench" -n -M extended -c 1 -t 2 -D senders=8 -D body="$body" -f "$T/writer.sql" "$PG_URL" >"$T/writer.out" 2>&1
	rc=$?
	got=$(psql_q "$PG_URL" -F ' ' -c "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events),
		(SELECT count(*) FROM threads t WHERE t.last_seq <> (SELECT count(*) FROM messages m WHERE m.thread_id = t.id)
			OR t.last_seq <> (SELECT COALESCE(max(seq), 0) FROM messages m WHERE m.thread_id = t.id)),
		(SELECT count(*) FROM members b JOIN threads t ON t.id = b.thread_id
			WHERE b.user_id = t.creator AND b.read_seq <> t.last_seq),
		(SELECT count(*) FROM events e JOIN messages m ON m.id = e.ref_id WHERE e.type = 'message.created'),
		(SELECT count(DISTINCT length(body)) FROM messages)" 2>&1)
	want="$((${tx:-0} + 16)) $((2 * ${tx:-0} + 32)) 0 0 $((2 * ${tx:-0} + 32)) 1"
	check bench.pg_writer_send_writes_what_a_send_writes "rc=$rc: $(tail -n 3 "$T/writer.out"); got '$got', want '$want'" \
		sh -c '[ "$1" = 0 ] && [ "$2" = "$3" ]' _ "$rc" "$got" "$want"
else
	fail bench.pg_schema_loads "$(tail -n 5 "$T/schema.out" 2>/dev/null)"
fi
sh "$PG" stop "$C"

# ---- 6. the SQLite half of the ceiling writes the same rows ------------------------------------------------------
if cc -O2 -o "$T/sqlite_ceiling" "$root/bench/sqlite_ceiling.c" $(pkg-config --cflags --libs sqlite3) 2>"$T/cc.err"; then
	"$T/sqlite_ceiling" "$T/ceiling.db" 1 4 8 >"$T/sqlite.out" 2>&1
	rc=$?
	n=$(sed -n 's/^SQLITERESULT sends=\([0-9]*\) .*commits=\([0-9]*\)$/\1 \2/p' "$T/sqlite.out")
	got=$(python3 - "$T/ceiling.db" <<'PY' 2>&1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda s: db.execute(s).fetchone()[0]
print(q("SELECT count(*) FROM messages"), q("SELECT count(*) FROM events"),
      q("SELECT count(*) FROM threads t WHERE t.last_seq <> (SELECT count(*) FROM messages m WHERE m.thread_id = t.id)"
        " OR t.last_seq <> (SELECT COALESCE(max(seq), 0) FROM messages m WHERE m.thread_id = t.id)"),
      q("SELECT count(*) FROM members b JOIN threads t ON t.id = b.thread_id WHERE b.user_id = t.creator AND b.read_seq <> t.last_seq"),
      q("SELECT count(*) FROM events e JOIN messages m ON m.id = e.ref_id WHERE e.type = 'message.created'"),
      q("SELECT count(DISTINCT length(body)) FROM messages"))
PY
)
	sends=${n%% *}
	commits=${n##* }
	want="$sends $((2 * ${sends:-0})) 0 0 $((2 * ${sends:-0})) 1"
	check bench.sqlite_ceiling_writes_what_a_send_writes "rc=$rc, $(cat "$T/sqlite.out"); got '$got', want '$want'" \
		sh -c '[ "$1" = 0 ] && [ "${2:-0}" -gt 0 ] && [ "$3" = "$4" ] && [ "$2" = $((4 * $5)) ]' _ "$rc" "$sends" "$got" "$want" "${commits:-0}"
else
	fail bench.sqlite_ceiling_writes_what_a_send_writes "does not compile: $(head -c 400 "$T/cc.err")"
fi

# ---- 7. the bus between nodes: src/server/bus_pg.c against a cluster of its own ---------------------------------
if [ -n "${1:-}" ]; then
	E=$T/c5
	out=$(PG_WATCH=$$ sh "$PG" start "$E" 2>&1)
	PG_URL=""
	eval "$out" 2>/dev/null
	if [ -x "$1/tests/test_bus" ] && [ -n "$PG_URL" ]; then
		POSTERN_TEST_PG_URL=$PG_URL "$1/tests/test_bus" >"$T/bus.out" 2>&1
		rc=$?
		pgc=$(grep -c '^ok   bus\.pg_' "$T/bus.out")
		check bus.listen_notify_two_nodes "rc=$rc, $pgc PostgreSQL cases passed: $(grep -v '^ok' "$T/bus.out" | tail -n 8)" \
			sh -c '[ "$1" = 0 ] && [ "$2" -ge 4 ]' _ "$rc" "$pgc"
	else
		fail bus.listen_notify_two_nodes "no $1/tests/test_bus, or the cluster did not start: $out"
	fi
	sh "$PG" stop "$E"
fi

# ---- 8. nothing of ours is left running -----------------------------------------------------------------------
sleep 0.3
left=$(procs_naming "$T")
check pg.nothing_left_running "processes naming $T: $left" [ -z "$left" ]

echo "pg-infra: $passed passed, $failed failed"
[ "$failed" = 0 ]
