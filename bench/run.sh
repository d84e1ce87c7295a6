#!/bin/sh
# bench/run.sh — the benchmark of BENCHMARKS.md, in one run (about 15 minutes with the defaults, most of it the
# PostgreSQL steps and their seeding; `make bench` runs it).
#
#   sh bench/run.sh [BUILD_DIR]        BUILD_DIR holds posternd (default: build)
#
# 1. nginx serving a 100-byte static file (2 workers, access_log off): wrk -t2 -c64, req/s — the reference.
# 2. durable sends/s: 64 senders (one user and one direct thread each, all friends of one receiver),
#    1 KiB bodies, unique client_msg_id per request, posternd with default durability (full fsync):
#    wrk -t2 -c64 -s bench/send.lua; non-2xx answers are counted and reported.
# 3. transactions per fsync (group-commit batch): fsync+fdatasync calls of posternd counted during step 2's
#    run with perf's syscall tracepoints (no slow-down); without a usable perf, strace -f -c in a separate
#    5 s send run (strace slows the server, so it does not share the throughput run).
# 4. SSE delivery latency p50/p99 at half of step 2's rate (bench/sse_latency.c, libcurl).
# 5. server RSS per idle SSE connection with 5,000 connected (bench/sse_idle.c) on a fresh posternd.
# 6. the transparency log at BENCH_TLOG_ENTRIES entries (default 1,000,000; bench/tlog_bench.c): append cost,
#    proof sizes, proof making and verification, against one Ed25519 verification in the same run.
# 7. the database ceiling (bench/ceiling.sh): a durable send's statements alone, PostgreSQL 15 under pgbench
#    (64 connections, a throwaway cluster from scripts/pg.sh) against SQLite with posternd's group commit
#    (bench/sqlite_ceiling.c), sends/s each and their ratio; and one writer connection running groups of 32
#    sends, with and without posternd's per-statement savepoints (their cost). BENCH_SKIP_CEILING=1 leaves it out.
# Steps 8 to 11 share one throwaway PostgreSQL 15 cluster (scripts/pg.sh) with two posternd nodes, A and B, on
# its database (B with A's server.key and log.key) and step 2's people (bench/setup.py through A):
# 8. durable sends/s on PostgreSQL, step 2's workload: through A alone, then through both nodes (two wrk
#    processes, each with half the senders, send.lua's PART/NPARTS); set against step 7's ceilings and step 2.
#    BENCH_SKIP_PG_SENDS=1 leaves it out.
# 9. cross-node delivery latency p50/p99: sends through A, recv_b's SSE stream on B (sse_latency with a stream
#    URL), at half of step 8's one-node rate (BENCH_XNODE_RATE overrides it). BENCH_SKIP_XNODE=1 leaves it out.
# 10. two nodes with the receivers split: A's senders write to recv_a, B's to recv_b, so that the two writers'
#    transactions share no row (in step 8 every send appends to recv_a's event log). BENCH_SKIP_PG_SPLIT=1.
# 11. kill -9 of A during sends through both nodes (bench/send_ack.c: 64 closed-loop senders, a failed send
#    retried on the other node with the same client_msg_id): every acknowledged client_msg_id is looked up in
#    the database, B's answers after the kill counted. BENCH_SKIP_KILL=1 leaves it out.
# 12. the read-cost curve, on SQLite and on PostgreSQL (a cluster of its own): a fresh database per scale in
#    BENCH_READ_SCALES (default "10000 1000000" messages) seeded with SQL (bench/read_seed.py), the measured
#    user's share the same at every scale; then wrk -t1 -c8 on the inbox, the latest history page of a thread
#    and an incremental sync 20 events back. Reports req/s and server CPU per request (posternd, plus every
#    PostgreSQL process), and cost at the largest scale / cost at the smallest. BENCH_SKIP_READS=1 leaves it out.
# Environment: BENCH_DURATION (seconds per measured run, default 10), BENCH_IDLE_CONNS (default 5000),
# BENCH_FSYNC_TOOL=strace (use strace for step 3 even where perf works), BENCH_TLOG_ENTRIES (step 6), and the
# BENCH_SKIP_* and other knobs above. A quick run: BENCH_DURATION=3 BENCH_IDLE_CONNS=500
# BENCH_TLOG_ENTRIES=10000 BENCH_READ_SCALES="2000 20000" (about two minutes).
#
# As root on Debian 12 it installs what it needs (apt-get); otherwise it prints the command and fails. PostgreSQL
# comes from scripts/deps.sh (`make bench` runs it first); without it steps 7 to 11 and step 12's PostgreSQL half
# are skipped. Every server and cluster it starts is stopped on exit (trap), every client runs under `timeout`
# or stops by itself.
set -eu

build=${1:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BIN=$build/posternd
DUR=${BENCH_DURATION:-10}
IDLE_CONNS=${BENCH_IDLE_CONNS:-5000}
CONNS=64
WRK_THREADS=2

# ---- packages (the style of scripts/deps.sh) -------------------------------------------------------------
need="build-essential pkg-config libcurl4-openssl-dev python3 wrk nginx-light strace curl libsqlite3-dev"
# (PostgreSQL for step 7 comes from scripts/deps.sh, which `make bench` runs first: it also removes the system
# cluster the package would start)
missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "bench: installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
			apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing
		}
	else
		echo "bench: missing packages:$missing"
		echo "bench: run this, then try again:  sudo apt-get install -y$missing"
		exit 1
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$BIN" ] || { echo "bench: $BIN not found (make build/posternd)"; exit 1; }
SRC_BIN=$BIN

# ---- scratch space, cleanup ----------------------------------------------------------------------------
W=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$W" # nginx workers (user nobody when started as root) and the PostgreSQL clusters' owner reach into it
PIDS=""
PG_DIRS="" # throwaway PostgreSQL clusters (scripts/pg.sh), stopped after the servers that use them
reap() { # reap PID: wait for a child we sent SIGTERM, at most 10 s, then SIGKILL it
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		reap "$p"
	done
	for d in $PG_DIRS; do
		sh "$root/scripts/pg.sh" stop "$d" >/dev/null 2>&1 || true
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
forget() { # drop pid $1 from PIDS once it was stopped
	np=""
	for p in $PIDS; do [ "$p" = "$1" ] || np="$np $p"; done
	PIDS=$np
}
stop() { # stop a child we started and wait for it
	kill -TERM "$1" 2>/dev/null || true
	reap "$1"
	forget "$1"
}

# Allow the 5,000 connections (both posternd and the client inherit this).
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then ulimit -n 65536; else ulimit -n "$hard"; fi
nofile=$(ulimit -n)
if [ "$nofile" -lt $((IDLE_CONNS + 200)) ]; then
	echo "bench: ulimit -n is at most $nofile: opening $((nofile - 200)) idle SSE connections instead of $IDLE_CONNS"
	IDLE_CONNS=$((nofile - 200))
fi

TCK=$(getconf CLK_TCK)
cpu_stat() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; } # "total idle" ticks
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
busy_pct() { # busy_pct "total0 idle0" "total1 idle1"
	echo "$1 $2" | awk '{dt = $3 - $1; di = $4 - $2; printf "%.0f", (dt > 0 ? 100 * (dt - di) / dt : 0)}'
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
field() { # field NAME LINE: value of NAME=value in a RESULT line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

SPID=""
SPORT=""
start_posternd() { # start_posternd NAME [flags...]: sets SPID and SPORT
	name=$1
	shift
	mkdir -p "$W/$name"
	: >"$W/$name/stdout" # there before the server writes it, so that reading it cannot fail
	"$BIN" --port=0 --data-dir="$W/$name/data" --log-level=warn --pwhash-memlimit=8192 --pwhash-opslimit=1 --register-limit=1000000 "$@" \
		>"$W/$name/stdout" 2>"$W/$name/stderr" &
	SPID=$!
	PIDS="$PIDS $SPID"
	i=0
	SPORT=""
	while [ $i -lt 100 ]; do
		SPORT=$(sed -n 's/^posternd listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$W/$name/stdout")
		[ -n "$SPORT" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$SPORT" ]; then
		echo "bench: posternd did not start:"
		cat "$W/$name/stdout" "$W/$name/stderr"
		exit 1
	fi
}

# One binary for the whole run, even if the build directory is rebuilt meanwhile.
cp "$SRC_BIN" "$W/posternd"
BIN=$W/posternd
# The source the binary came from: BENCH_REV if given, else `git describe` of the build directory's parent.
REV=${BENCH_REV:-$(git -C "$(dirname "$SRC_BIN")/.." describe --always --dirty 2>/dev/null || echo "not a git checkout")}

# ---- build the clients ---------------------------------------------------------------------------------
cc -O2 -Wall -Wextra -pthread -o "$W/sse_latency" "$here/sse_latency.c" -lcurl -lm
cc -O2 -Wall -Wextra -o "$W/sse_idle" "$here/sse_idle.c"
cc -O2 -Wall -Wextra -pthread -o "$W/send_ack" "$here/send_ack.c" -lcurl

echo "== Postern benchmark =="
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM," \
	"Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), kernel $(uname -r)"
echo "posternd: $SRC_BIN ($("$BIN" --version 2>/dev/null || echo '?'), source tree $REV); wrk -t$WRK_THREADS -c$CONNS -d${DUR}s; ulimit -n $nofile"
echo

# ---- 1. nginx reference --------------------------------------------------------------------------------
echo "== 1. nginx: 100-byte static file, 2 workers, access_log off =="
mkdir -p "$W/nginx/www" "$W/nginx/tmp"
chmod 755 "$W/nginx" "$W/nginx/www"
head -c 100 /dev/zero | tr '\0' 'x' >"$W/nginx/www/small.txt"
chmod 644 "$W/nginx/www/small.txt"
NPORT=$(free_port)
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NPORT;
        location / { root $W/nginx/www; }
    }
}
EOF
"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" &
NGPID=$!
PIDS="$PIDS $NGPID"
i=0
until curl -fs -o /dev/null "http://127.0.0.1:$NPORT/small.txt"; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 "$NGPID" 2>/dev/null; then
		echo "bench: nginx did not start:"
		cat "$W/nginx/error.log" 2>/dev/null
		exit 1
	fi
	sleep 0.1
done
timeout 30 wrk -t$WRK_THREADS -c$CONNS -d2s "http://127.0.0.1:$NPORT/small.txt" >/dev/null # warm-up
c0=$(cpu_stat)
timeout $((DUR + 30)) wrk -t$WRK_THREADS -c$CONNS -d"${DUR}s" "http://127.0.0.1:$NPORT/small.txt" >"$W/nginx.wrk"
c1=$(cpu_stat)
sed 's/^/  /' "$W/nginx.wrk"
NGINX_RPS=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$W/nginx.wrk")
NGINX_NON2XX=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$W/nginx.wrk")
NGINX_NON2XX=${NGINX_NON2XX:-0}
echo "  -> nginx: $NGINX_RPS req/s, non-2xx/3xx: $NGINX_NON2XX, machine CPU busy $(busy_pct "$c0" "$c1") %"
stop "$NGPID"
echo

# ---- 2. durable sends ----------------------------------------------------------------------------------
echo "== 2. durable sends: $CONNS senders, 1 KiB bodies, --durability=full (default) =="
start_posternd sends
SENDPID=$SPID
SENDPORT=$SPORT
URL="http://127.0.0.1:$SENDPORT"
timeout 120 python3 "$here/setup.py" "$SENDPORT" "$W/users" $CONNS | sed 's/^/  /'
timeout 30 wrk -t$WRK_THREADS -c$CONNS -d2s -s "$here/send.lua" "$URL" -- "$W/users" $WRK_THREADS warm >"$W/warm.wrk" # warm-up

# Cross-check (optional, needs gdb and posternd's debug info): the writer's own counters, dbexec.c's
# ex.stats {commits, write_jobs}, read with gdb before and after the run (the attach stops posternd for a
# moment, outside the measured window). Gives transactions per group commit, next to sends per fsync.
dbstats() {
	command -v gdb >/dev/null 2>&1 || return 0
	timeout 20 gdb -p "$1" -batch -ex "print 'dbexec.c'::ex.stats" 2>/dev/null |
		sed -n 's/^\$[0-9]* = {commits = \([0-9]*\), write_jobs = \([0-9]*\).*/\1 \2/p' || true
}
g0=$(dbstats "$SENDPID")

# perf counts syscalls through tracepoints without stopping the process; check that it works here.
FSYNC_TOOL=strace
if [ "${BENCH_FSYNC_TOOL:-perf}" = perf ] && command -v perf >/dev/null 2>&1 &&
	perf stat -x, -e syscalls:sys_enter_fdatasync -o /dev/null -- true >/dev/null 2>&1; then
	FSYNC_TOOL=perf
	perf stat --per-thread -x, -e task-clock,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync \
		-p "$SENDPID" -o "$W/perf.csv" &
	PERFPID=$!
	PIDS="$PIDS $PERFPID"
	sleep 0.3
fi
c0=$(cpu_stat)
p0=$(proc_ticks "$SENDPID")
w0=$(awk '/^wchar:/{w = $2} /^write_bytes:/{b = $2} END {print w + 0, b + 0}' "/proc/$SENDPID/io")
timeout $((DUR + 30)) wrk -t$WRK_THREADS -c$CONNS -d"${DUR}s" -s "$here/send.lua" "$URL" -- "$W/users" $WRK_THREADS run >"$W/send.wrk"
p1=$(proc_ticks "$SENDPID")
w1=$(awk '/^wchar:/{w = $2} /^write_bytes:/{b = $2} END {print w + 0, b + 0}' "/proc/$SENDPID/io")
c1=$(cpu_stat)
if [ $FSYNC_TOOL = perf ]; then
	kill -INT "$PERFPID" 2>/dev/null || true
	wait "$PERFPID" 2>/dev/null || true
	forget "$PERFPID"
fi
g1=$(dbstats "$SENDPID")
grep -v '^SENDRESULT' "$W/send.wrk" | sed 's/^/  /'
R=$(grep '^SENDRESULT' "$W/send.wrk" || true)
[ -n "$R" ] || { echo "bench: the send run printed no result"; exit 1; }
SEND_OK=$(field ok2xx "$R")
SEND_NON2XX=$(field non2xx "$R")
SEND_SOCKERR=$(field socket_errors "$R")
SEND_SECS=$(field duration_s "$R")
SEND_RPS=$(echo "$SEND_OK $SEND_SECS" | awk '{printf "%.1f", $1/$2}')
SEND_RATIO=$(echo "$SEND_RPS $NGINX_RPS" | awk '{printf "%.1f", 100*$1/$2}')
SEND_CPU=$(echo "$p0 $p1 $TCK $SEND_SECS" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}')
echo "  -> durable sends: $SEND_RPS 2xx/s ($SEND_RATIO % of nginx); non-2xx: $SEND_NON2XX; socket errors: $SEND_SOCKERR"
echo "     posternd CPU $SEND_CPU % of one CPU; machine CPU busy $(busy_pct "$c0" "$c1") %;" \
	"per send: $(echo "$w0 $w1 $SEND_OK" | awk '{n = ($5 > 0 ? $5 : 1); printf "%.1f KiB written by write calls (WAL, sockets), %.1f KiB to storage", ($3 - $1) / n / 1024, ($4 - $2) / n / 1024}')"
echo

# ---- 3. transactions per fsync -------------------------------------------------------------------------
echo "== 3. group commit: sends per fsync =="
if [ $FSYNC_TOOL = perf ]; then
	FSYNCS=$(awk -F, '$4 ~ /sys_enter_f(data)?sync$/ && $2 ~ /^[0-9]+$/ {n += $2} END {print n + 0}' "$W/perf.csv")
	FSYNC_SENDS=$SEND_OK
	FSYNC_HOW="perf stat syscalls:sys_enter_fsync+fdatasync tracepoints on posternd during the step-2 run"
	echo "  posternd threads during the send run (perf --per-thread: CPU time, fsync+fdatasync calls):"
	awk -F, '$4 == "task-clock" && $2 ~ /^[0-9.]+$/ {cpu[$1] = $2}
		$4 ~ /sys_enter_f(data)?sync$/ && $2 ~ /^[0-9]+$/ {fs[$1] += $2}
		END {for (t in cpu) if (cpu[t] > 1) printf "    %-20s %9.0f ms CPU  %6d fsync calls\n", t, cpu[t], fs[t]}' \
		"$W/perf.csv" | sort -k2 -n -r
else
	echo "  (perf not used: strace -f -c during a separate 5 s send run; strace slows posternd a lot)"
	strace -f -c -e trace=fsync,fdatasync -o "$W/strace.txt" -p "$SENDPID" 2>/dev/null &
	STPID=$!
	PIDS="$PIDS $STPID"
	sleep 1
	timeout 60 wrk -t$WRK_THREADS -c$CONNS -d5s -s "$here/send.lua" "$URL" -- "$W/users" $WRK_THREADS strace >"$W/strace.wrk"
	kill -INT "$STPID" 2>/dev/null || true
	wait "$STPID" 2>/dev/null || true
	forget "$STPID"
	sed 's/^/    /' "$W/strace.txt"
	FSYNCS=$(awk '$NF == "fsync" || $NF == "fdatasync" {n += $4} END {print n + 0}' "$W/strace.txt")
	R2=$(grep '^SENDRESULT' "$W/strace.wrk" || true)
	FSYNC_SENDS=$(field ok2xx "$R2")
	FSYNC_HOW="strace -f -c -e trace=fsync,fdatasync on posternd during a separate 5 s send run ($(field rps "$R2") req/s under strace)"
fi
if [ "${FSYNCS:-0}" -gt 0 ]; then
	PER_FSYNC=$(echo "$FSYNC_SENDS $FSYNCS" | awk '{printf "%.1f", $1/$2}')
else
	PER_FSYNC="n/a"
fi
echo "  -> $FSYNC_SENDS sends / $FSYNCS fsync+fdatasync calls = $PER_FSYNC sends per fsync"
echo "     measured with: $FSYNC_HOW"
PER_COMMIT="n/a"
if [ -n "$g0" ] && [ -n "$g1" ]; then
	PER_COMMIT=$(echo "$g0 $g1" | awk '{c = $3 - $1; j = $4 - $2; printf "%.1f", (c > 0 ? j / c : 0)}')
	echo "  -> cross-check, posternd's writer counters (gdb, ex.stats): $(echo "$g0 $g1" | awk '{print $4 - $2}') write jobs" \
		"in $(echo "$g0 $g1" | awk '{print $3 - $1}') group commits = $PER_COMMIT per commit" \
		"(a commit's fdatasync of the WAL, plus the WAL checkpoints' syncs, make more fsyncs than commits)"
fi
echo

# ---- 4. SSE delivery latency ---------------------------------------------------------------------------
LAT_RATE=$(echo "$SEND_RPS" | awk '{r = int($1 / 2); print (r < 1 ? 1 : r)}')
echo "== 4. SSE delivery latency at half the send rate: $LAT_RATE msg/s for ${DUR} s =="
timeout $((DUR + 60)) "$W/sse_latency" "$URL" "$W/users" "$LAT_RATE" "$DUR" >"$W/lat.txt" || true
grep -v '^LATRESULT' "$W/lat.txt" | sed 's/^/  /'
L=$(grep '^LATRESULT' "$W/lat.txt" || true)
[ -n "$L" ] || { echo "bench: the latency run printed no result"; exit 1; }
LAT_P50=$(field p50_ms "$L")
LAT_P99=$(field p99_ms "$L")
LAT_RATE_GOT=$(field rate "$L")
echo "  -> delivery latency (event on the SSE stream - POST 2xx received): p50 $LAT_P50 ms, p99 $LAT_P99 ms;" \
	"sent $(field sent "$L") at $LAT_RATE_GOT/s, non-2xx $(field non2xx "$L"), events missing $(field missing "$L")," \
	"event before the 2xx $(field negative "$L")"
stop "$SENDPID"
echo

# ---- 5. RSS per idle SSE connection --------------------------------------------------------------------
echo "== 5. server RSS per idle SSE connection, $IDLE_CONNS connected =="
start_posternd idle --max-connections=$((IDLE_CONNS + 1000))
IDLEPID=$SPID
timeout 60 python3 "$here/setup.py" "$SPORT" "$W/idle-users" 0 >/dev/null
TOKEN=$(awk '$1 == "R" && $2 == "recv_a" {print $4}' "$W/idle-users")
timeout 120 "$W/sse_idle" "$SPORT" "$TOKEN" "$IDLE_CONNS" "$IDLEPID" 3 >"$W/idle.txt" || true
grep -v '^IDLERESULT' "$W/idle.txt" | sed 's/^/  /'
I=$(grep '^IDLERESULT' "$W/idle.txt" || true)
[ -n "$I" ] || { echo "bench: the idle-connection run printed no result"; exit 1; }
IDLE_KIB=$(field per_conn_kib "$I")
echo "  -> $(field established "$I") connections established, $(field closed_during_hold "$I") closed early;" \
	"($(field rss_after_kib "$I") - $(field rss_before_kib "$I")) KiB / $(field established "$I") = $IDLE_KIB KiB per connection"
stop "$IDLEPID"
echo

# ---- 6. the transparency log at scale ------------------------------------------------------------------
TLOG_N=${BENCH_TLOG_ENTRIES:-1000000}
echo "== 6. transparency log: $TLOG_N entries with the server's log code (bench/tlog_bench.c) =="
if [ -x "$build/bench/tlog_bench" ]; then
	mkdir -p "$W/tlog"
	timeout 900 "$build/bench/tlog_bench" "$TLOG_N" "$W/tlog" | sed 's/^/  /'
else
	echo "  (skipped: build $build/bench/tlog_bench first; make bench does)"
fi
echo

# ---- 7. the database ceiling ---------------------------------------------------------------------------
CEIL_PG="n/a" CEIL_SQ="n/a" CEIL_RATIO="n/a" CEIL_W="n/a" CEIL_WSP="n/a" SP_COST="n/a"
if [ "${BENCH_SKIP_CEILING:-0}" = 1 ]; then
	echo "== 7. database ceiling: skipped (BENCH_SKIP_CEILING=1) =="
elif [ ! -x "$PG_BIN/pgbench" ]; then
	echo "== 7. database ceiling: skipped: postgresql-15 is not installed (sh scripts/deps.sh installs it) =="
else
	echo "== 7. database ceiling: a durable send's statements alone, PostgreSQL (pgbench) against SQLite (group commit) =="
	BENCH_DURATION=$DUR timeout $((2 * DUR + 180)) sh "$here/ceiling.sh" $CONNS >"$W/ceiling.txt" 2>&1 || true
	grep -v '^CEILINGRESULT' "$W/ceiling.txt" | sed 's/^/  /'
	C=$(grep '^CEILINGRESULT' "$W/ceiling.txt" || true)
	[ -n "$C" ] || { echo "bench: the ceiling run printed no result"; exit 1; }
	CEIL_PG=$(field pg_tps "$C" | awk '{printf "%.1f", $1}')
	CEIL_SQ=$(field sqlite_per_s "$C")
	CEIL_RATIO=$(field pg_vs_sqlite "$C")
	CEIL_W=$(field pg_writer_per_s "$C")
	CEIL_WSP=$(field pg_writer_sp_per_s "$C")
	SP_COST=$(field savepoint_cost "$C")
	echo "  -> PostgreSQL $CEIL_PG sends/s ($(echo "$CEIL_PG $NGINX_RPS" | awk '{printf "%.1f", 100*$1/$2}') % of nginx)," \
		"SQLite $CEIL_SQ sends/s ($(echo "$CEIL_SQ $NGINX_RPS" | awk '{printf "%.1f", 100*$1/$2}') % of nginx);" \
		"PostgreSQL / SQLite = $CEIL_RATIO; posternd's durable sends (step 2) = $(echo "$SEND_RPS $CEIL_SQ" | awk '{printf "%.0f", ($2 > 0 ? 100*$1/$2 : 0)}') % of the SQLite ceiling"
fi
echo

# ---- PostgreSQL: one cluster, two posternd nodes on it (steps 8 to 11) ---------------------------------
pct() { echo "$1 $2" | awk '{if ($2 + 0 > 0 && $1 != "n/a" && $2 != "n/a") printf "%.0f", 100 * $1 / $2; else printf "n/a"}'; }
ratio() { echo "$1 $2" | awk '{if ($2 + 0 > 0 && $1 != "n/a" && $2 != "n/a") printf "%.2f", $1 / $2; else printf "n/a"}'; }
pg_ticks() { # CPU ticks of the postmaster $1 and all its children (the backends, the WAL writer, ...)
	for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; done |
		awk -v pm="$1" '{sub(/^.*\) /, ""); if ($2 == pm) t += $12 + $13} END {print t + 0}' | {
		read -r kids
		echo $((kids + $(proc_ticks "$1" 2>/dev/null || echo 0)))
	}
}
pg_start() { # pg_start DIR: a throwaway cluster (scripts/pg.sh), stopped on exit; sets PG_URL and PG_PID
	eval "$(PG_WATCH=$$ PG_MAX_CONNECTIONS=100 sh "$root/scripts/pg.sh" start "$1")"
	PG_DIRS="$PG_DIRS $1"
}
psql_q() { "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }
pg_waits() { # pg_waits SECONDS OUT: what the database's sessions in a transaction are doing, sampled twice a second
	# (running, waiting for a lock or the WAL flush, or waiting for posternd's next statement)
	end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$end" ]; do
		psql_q "$NODES_URL" -c "SELECT CASE WHEN state = 'active' THEN COALESCE(wait_event_type || ':' || wait_event, 'running')
			ELSE 'waiting-for-posternd' END FROM pg_stat_activity WHERE state IN ('active', 'idle in transaction')
			AND backend_type = 'client backend' AND pid <> pg_backend_pid()" >>"$2" 2>/dev/null || true
		sleep 0.5
	done
}
waits_summary() { # waits_summary FILE: the samples by share
	sort "$1" | uniq -c | sort -rn | awk '{n[NR] = $1; w[NR] = $2; t += $1}
		END {for (i = 1; i <= NR && i <= 4; i++) printf "%s%s %.0f %%", (i > 1 ? ", " : ""), w[i], 100 * n[i] / t; if (t == 0) printf "none"}'
}
two_nodes() { # two_nodes TAG RECEIVER_A RECEIVER_B: half the senders through node A, half through node B, each
	# half with one wrk thread (send.lua's PART/NPARTS), into its thread with recv_RECEIVER_A and _B; prints the
	# figures, sets TN_RPS (2xx/s, both together) and TN_NON2XX
	half=$((CONNS / 2))
	timeout 30 wrk -t1 -c$half -d2s -s "$here/send.lua" "$URL_B" -- "$W/pg-users" 1 "${1}warm" 1 2 "$3" >/dev/null
	c0=$(cpu_stat) a0=$(proc_ticks "$APID") b0=$(proc_ticks "$BPID") q0=$(pg_ticks "$NODES_PG")
	pg_waits "$DUR" "$W/$1.waits" &
	PWPID=$!
	timeout $((DUR + 30)) wrk -t1 -c$half -d"${DUR}s" -s "$here/send.lua" "$URL_A" -- "$W/pg-users" 1 "${1}a" 0 2 "$2" >"$W/${1}a.wrk" &
	wa=$!
	timeout $((DUR + 30)) wrk -t1 -c$half -d"${DUR}s" -s "$here/send.lua" "$URL_B" -- "$W/pg-users" 1 "${1}b" 1 2 "$3" >"$W/${1}b.wrk" &
	wb=$!
	wait $wa || true
	wait $wb || true
	wait $PWPID || true
	c1=$(cpu_stat) a1=$(proc_ticks "$APID") b1=$(proc_ticks "$BPID") q1=$(pg_ticks "$NODES_PG")
	Ra=$(grep '^SENDRESULT' "$W/${1}a.wrk" || true)
	Rb=$(grep '^SENDRESULT' "$W/${1}b.wrk" || true)
	[ -n "$Ra" ] && [ -n "$Rb" ] || { echo "bench: a two-node send run printed no result"; cat "$W/${1}a.wrk" "$W/${1}b.wrk"; exit 1; }
	for n in a b; do
		echo "  node $(echo $n | tr ab AB):"
		grep -v '^SENDRESULT' "$W/$1$n.wrk" | grep -E 'HTTP|Requests/sec|Non-2xx|Socket' | sed 's/^/    /'
	done
	secs=$(echo "$(field duration_s "$Ra") $(field duration_s "$Rb")" | awk '{print ($1 > $2 ? $1 : $2)}')
	TN_RPS=$(echo "$(field ok2xx "$Ra") $(field ok2xx "$Rb") $secs" | awk '{printf "%.1f", ($1 + $2) / $3}')
	TN_NON2XX=$(($(field non2xx "$Ra") + $(field non2xx "$Rb")))
	echo "  -> two nodes: $TN_RPS 2xx/s (A $(field ok2xx "$Ra"), B $(field ok2xx "$Rb") in ${secs} s); non-2xx: $TN_NON2XX;" \
		"socket errors: $(($(field socket_errors "$Ra") + $(field socket_errors "$Rb")))"
	echo "     CPU: posternd A $(echo "$a0 $a1 $TCK $secs" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}') %," \
		"B $(echo "$b0 $b1 $TCK $secs" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}') %," \
		"PostgreSQL $(echo "$q0 $q1 $TCK $secs" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}') % of one CPU; machine busy $(busy_pct "$c0" "$c1") %"
	echo "     the two writers' database sessions, sampled (pg_stat_activity): $(waits_summary "$W/$1.waits")"
}
start_node() { # start_node NAME DATABASE_URL [KEYS_FROM_NAME]: posternd on PostgreSQL; a second node gets the first's keys
	mkdir -p "$W/$1/data"
	if [ -n "${3:-}" ]; then
		cp "$W/$3/data/server.key" "$W/$3/data/log.key" "$W/$1/data/"
	fi
	start_posternd "$1" --database="$2"
}

PG1_RPS="n/a" PG2_RPS="n/a" PG1_NON2XX="n/a" PG2_NON2XX="n/a" PG_PER_COMMIT="n/a" PGS_RPS="n/a" PGS_NON2XX="n/a"
XLAT_P50="n/a" XLAT_P99="n/a" XLAT_RATE="n/a"
KILL_ACKED="n/a" KILL_LOST="n/a" KILL_B_AFTER="n/a"
want_nodes=0
for v in "${BENCH_SKIP_PG_SENDS:-0}" "${BENCH_SKIP_XNODE:-0}" "${BENCH_SKIP_PG_SPLIT:-0}" "${BENCH_SKIP_KILL:-0}"; do [ "$v" = 1 ] || want_nodes=1; done
if [ $want_nodes = 1 ] && [ ! -x "$PG_BIN/postgres" ]; then
	echo "== 8.-11. posternd on PostgreSQL: skipped: postgresql-15 is not installed (sh scripts/deps.sh installs it) =="
	echo
	want_nodes=0
fi
if [ $want_nodes = 1 ]; then
	pg_start "$W/pgn"
	NODES_PG=$PG_PID
	NODES_URL=$PG_URL
	start_node pga "$NODES_URL"
	APID=$SPID APORT=$SPORT
	start_node pgb "$NODES_URL" pga
	BPID=$SPID BPORT=$SPORT
	URL_A="http://127.0.0.1:$APORT" URL_B="http://127.0.0.1:$BPORT"
	echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (scripts/pg.sh: fsync, synchronous_commit on), posternd nodes A :$APORT and B :$BPORT on one database =="
	timeout 120 python3 "$here/setup.py" "$APORT" "$W/pg-users" $CONNS | sed 's/^/  /'
	echo
fi

# ---- 8. durable sends on PostgreSQL: one node, two nodes -----------------------------------------------
if [ $want_nodes = 1 ] && [ "${BENCH_SKIP_PG_SENDS:-0}" != 1 ]; then
	echo "== 8. durable sends on PostgreSQL: $CONNS senders, 1 KiB bodies; one node, then two nodes on one database =="
	timeout 30 wrk -t$WRK_THREADS -c$CONNS -d2s -s "$here/send.lua" "$URL_A" -- "$W/pg-users" $WRK_THREADS pgwarm >/dev/null
	g0=$(dbstats "$APID")
	c0=$(cpu_stat) a0=$(proc_ticks "$APID") q0=$(pg_ticks "$NODES_PG")
	pg_waits "$DUR" "$W/pg1.waits" &
	PWPID=$!
	timeout $((DUR + 30)) wrk -t$WRK_THREADS -c$CONNS -d"${DUR}s" -s "$here/send.lua" "$URL_A" -- "$W/pg-users" $WRK_THREADS pg1 >"$W/pg1.wrk"
	wait $PWPID || true
	c1=$(cpu_stat) a1=$(proc_ticks "$APID") q1=$(pg_ticks "$NODES_PG")
	g1=$(dbstats "$APID")
	grep -v '^SENDRESULT' "$W/pg1.wrk" | sed 's/^/  /'
	R=$(grep '^SENDRESULT' "$W/pg1.wrk" || true)
	[ -n "$R" ] || { echo "bench: the one-node send run printed no result"; exit 1; }
	PG1_NON2XX=$(field non2xx "$R")
	PG1_RPS=$(echo "$(field ok2xx "$R") $(field duration_s "$R")" | awk '{printf "%.1f", $1/$2}')
	secs=$(field duration_s "$R")
	if [ -n "$g0" ] && [ -n "$g1" ]; then
		PG_PER_COMMIT=$(echo "$g0 $g1" | awk '{c = $3 - $1; j = $4 - $2; printf "%.1f", (c > 0 ? j / c : 0)}')
	fi
	echo "  -> one node: $PG1_RPS 2xx/s; non-2xx: $PG1_NON2XX; socket errors: $(field socket_errors "$R");" \
		"transactions per group commit (gdb): $PG_PER_COMMIT"
	echo "     CPU: posternd $(echo "$a0 $a1 $TCK $secs" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}') %," \
		"PostgreSQL $(echo "$q0 $q1 $TCK $secs" | awk '{printf "%.0f", 100*($2-$1)/$3/$4}') % of one CPU; machine busy $(busy_pct "$c0" "$c1") %"
	echo "     the writer's database session, sampled (pg_stat_activity): $(waits_summary "$W/pg1.waits")"

	two_nodes pg2 a a
	PG2_RPS=$TN_RPS PG2_NON2XX=$TN_NON2XX
	echo "  -> one node = $(pct "$PG1_RPS" "$CEIL_PG") %, two nodes = $(pct "$PG2_RPS" "$CEIL_PG") % of the PostgreSQL ceiling (step 7, pgbench -c $CONNS: $CEIL_PG/s);" \
		"$(pct "$PG1_RPS" "$CEIL_WSP") % and $(pct "$PG2_RPS" "$CEIL_WSP") % of one writer connection with savepoints (step 7: $CEIL_WSP/s)"
	echo "     against posternd on SQLite (step 2, $SEND_RPS/s): one node x$(ratio "$PG1_RPS" "$SEND_RPS"), two nodes x$(ratio "$PG2_RPS" "$SEND_RPS")"
	echo
elif [ $want_nodes = 1 ]; then
	echo "== 8. durable sends on PostgreSQL: skipped (BENCH_SKIP_PG_SENDS=1) =="
	echo
fi

# ---- 9. cross-node delivery latency ------------------------------------------------------------------
if [ $want_nodes = 1 ] && [ "${BENCH_SKIP_XNODE:-0}" != 1 ]; then
	XLAT_RATE=${BENCH_XNODE_RATE:-$(echo "$PG1_RPS" | awk '{r = int($1 / 2); print (r < 1 ? 100 : r)}')}
	echo "== 9. cross-node delivery latency: sends through node A, the SSE stream on node B, $XLAT_RATE msg/s for ${DUR} s =="
	timeout $((DUR + 60)) "$W/sse_latency" "$URL_A" "$W/pg-users" "$XLAT_RATE" "$DUR" "$URL_B" >"$W/xlat.txt" || true
	grep -v '^LATRESULT' "$W/xlat.txt" | sed 's/^/  /'
	L=$(grep '^LATRESULT' "$W/xlat.txt" || true)
	[ -n "$L" ] || { echo "bench: the cross-node latency run printed no result"; exit 1; }
	XLAT_P50=$(field p50_ms "$L")
	XLAT_P99=$(field p99_ms "$L")
	echo "  -> delivery latency A -> B (event on B's stream - A's 2xx received): p50 $XLAT_P50 ms, p99 $XLAT_P99 ms, max $(field max_ms "$L") ms;" \
		"sent $(field sent "$L") at $(field rate "$L")/s, non-2xx $(field non2xx "$L"), events missing $(field missing "$L")," \
		"event before the 2xx $(field negative "$L")"
	echo
elif [ $want_nodes = 1 ]; then
	echo "== 9. cross-node delivery latency: skipped (BENCH_SKIP_XNODE=1) =="
	echo
fi

# ---- 10. two nodes, each with a receiver of its own ---------------------------------------------------
if [ $want_nodes = 1 ] && [ "${BENCH_SKIP_PG_SPLIT:-0}" != 1 ]; then
	echo "== 10. two nodes, receivers split: node A's senders write to recv_a, node B's to recv_b (no row shared between the two writers) =="
	two_nodes pgs a b
	PGS_RPS=$TN_RPS PGS_NON2XX=$TN_NON2XX
	echo "  -> against one node (step 8): x$(ratio "$PGS_RPS" "$PG1_RPS"); against two nodes with one receiver: x$(ratio "$PGS_RPS" "$PG2_RPS")"
	echo
elif [ $want_nodes = 1 ]; then
	echo "== 10. two nodes, receivers split: skipped (BENCH_SKIP_PG_SPLIT=1) =="
	echo
fi

# ---- 11. kill -9 of one node during sends -----------------------------------------------------------
if [ $want_nodes = 1 ] && [ "${BENCH_SKIP_KILL:-0}" != 1 ]; then
	echo "== 11. kill -9 of node A during sends through both nodes: $CONNS closed-loop senders for ${DUR} s, A killed half way =="
	timeout $((DUR + 60)) "$W/send_ack" "$URL_A" "$URL_B" "$W/pg-users" "$DUR" "$W/ack.txt" >"$W/ack.res" 2>&1 &
	ACKPID=$!
	sleep "$(echo "$DUR" | awk '{print $1 / 2}')"
	KILL_MS=$(date +%s%3N)
	kill -KILL "$APID"
	wait "$APID" 2>/dev/null || true
	forget "$APID"
	wait $ACKPID || true
	cat "$W/ack.res" | sed 's/^/  /'
	A=$(grep '^ACKRESULT' "$W/ack.res" || true)
	[ -n "$A" ] || { echo "bench: the kill -9 run printed no result"; exit 1; }
	awk '$3 >= 200 && $3 < 300 {print $4}' "$W/ack.txt" | sort -u >"$W/acked.txt"
	KILL_ACKED=$(wc -l <"$W/acked.txt" | tr -d ' ')
	KILL_B_AFTER=$(awk -v t="$KILL_MS" '$1 > t && $2 == "B" && $3 >= 200 && $3 < 300' "$W/ack.txt" | wc -l | tr -d ' ')
	KILL_A_FAIL=$(awk '$2 == "A" && ($3 == 0 || $3 >= 500)' "$W/ack.txt" | wc -l | tr -d ' ')
	# a retry answered 200 is a send A had committed before it died (the first result, given again)
	KILL_REPEAT=$(awk '$3 == 200' "$W/ack.txt" | wc -l | tr -d ' ')
	RUNTAG=$(head -n 1 "$W/acked.txt" | cut -d_ -f1)
	# every acknowledged client_msg_id must be a row of messages (the ids are unique to this run)
	V=$(psql_q -F ' ' "$NODES_URL" -c "CREATE TEMP TABLE acked(c text PRIMARY KEY)" -c "\\copy acked FROM '$W/acked.txt'" \
		-c "SELECT (SELECT count(*) FROM acked), (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.client_msg_id = a.c)), (SELECT count(*) FROM messages WHERE client_msg_id LIKE '${RUNTAG}\\_%'), (SELECT count(*) - count(DISTINCT client_msg_id) FROM messages WHERE client_msg_id LIKE '${RUNTAG}\\_%')")
	KILL_LOST=$(echo "$V" | awk '{print $2}')
	B_HEALTH=$(curl -s -o /dev/null -w '%{http_code}' "$URL_B/v1/health" || echo 0)
	echo "  -> $KILL_LOST lost of $KILL_ACKED acknowledged (checked in the database: $(echo "$V" | awk '{print $1}') ids looked up);" \
		"rows of this run in messages: $(echo "$V" | awk '{print $3}') ($(echo "$V" | awk '{print $4}') duplicates; rows beyond the" \
		"acknowledged are sends committed whose answer died with A)"
	echo "     node A: $KILL_A_FAIL attempts without an answer or with a 5xx, each retried on B with the same client_msg_id" \
		"($KILL_REPEAT answered 200: A had committed them);" \
		"node B: $KILL_B_AFTER 2xx after the kill, /v1/health $B_HEALTH at the end"
	echo
elif [ $want_nodes = 1 ]; then
	echo "== 11. kill -9 of one node: skipped (BENCH_SKIP_KILL=1) =="
	echo
fi
if [ $want_nodes = 1 ]; then
	for p in ${APID:-} ${BPID:-}; do
		case " $PIDS " in *" $p "*) stop "$p" ;; esac
	done
	sh "$root/scripts/pg.sh" stop "$W/pgn" >/dev/null 2>&1 || true
fi

# ---- 12. the read-cost curve ------------------------------------------------------------------------
READ_SCALES=${BENCH_READ_SCALES:-10000 1000000}
READ_CONNS=8
READS="" # lines: engine messages route rps cpu_us non2xx
if [ "${BENCH_SKIP_READS:-0}" = 1 ]; then
	echo "== 12. read-cost curve: skipped (BENCH_SKIP_READS=1) =="
	echo
else
	engines=sqlite
	if [ -x "$PG_BIN/postgres" ]; then engines="sqlite pg"; else echo "(12: PostgreSQL is not installed: SQLite only)"; fi
	echo "== 12. read-cost curve: inbox, latest history page, incremental sync at $(echo $READ_SCALES | sed 's/ / and /g') messages; wrk -t1 -c$READ_CONNS -d${DUR}s each =="
	for engine in $engines; do
		if [ $engine = pg ]; then
			pg_start "$W/pgr"
			READ_PG=$PG_PID
		fi
		for n in $READ_SCALES; do
			name=rd-$engine-$n
			if [ $engine = pg ]; then
				psql_q "$PG_URL" -c "CREATE SCHEMA reads_$n"
				dburl="$PG_URL&options=-csearch_path%3Dreads_$n"
				start_node "$name" "$dburl"
			else
				start_posternd "$name"
			fi
			RPORT=$SPORT
			H='Content-Type: application/json'
			curl -fs -H "$H" -d '{"username":"reader","password":"bench-password-0"}' "http://127.0.0.1:$RPORT/v1/accounts" >/dev/null
			TOK=$(curl -fs -H "$H" -d '{"username":"reader","password":"bench-password-0"}' "http://127.0.0.1:$RPORT/v1/sessions" |
				python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
			stop "$SPID"
			if [ $engine = pg ]; then
				S=$(timeout 900 python3 "$here/read_seed.py" pg "$dburl" "$n")
				start_node "$name" "$dburl"
				RPID=$SPID
			else
				S=$(timeout 900 python3 "$here/read_seed.py" sqlite "$W/$name/data/postern.db" "$n")
				start_posternd "$name"
				RPID=$SPID
			fi
			echo "  $engine, $n: $S" | sed 's/SEEDRESULT //'
			RURL="http://127.0.0.1:$SPORT"
			AUTH="Authorization: Bearer $TOK"
			TID=$(curl -fs -H "$AUTH" "$RURL/v1/threads" | python3 -c 'import json, sys; print(json.load(sys.stdin)["threads"][0]["thread_id"])')
			SINCE=$(($(field reader_last_seq "$S") - 20))
			for route in inbox history sync; do
				case $route in
				inbox) path="/v1/threads" ;;
				history) path="/v1/threads/$TID/messages?before=9223372036854775807&limit=25" ;;
				sync) path="/v1/sync?since=$SINCE" ;;
				esac
				timeout 30 wrk -t1 -c$READ_CONNS -d1s -H "$AUTH" "$RURL$path" >/dev/null # warm-up
				p0=$(proc_ticks "$RPID")
				q0=0
				[ $engine = sqlite ] || q0=$(pg_ticks "$READ_PG")
				timeout $((DUR + 30)) wrk -t1 -c$READ_CONNS -d"${DUR}s" -H "$AUTH" "$RURL$path" >"$W/read.wrk"
				p1=$(proc_ticks "$RPID")
				q1=0
				[ $engine = sqlite ] || q1=$(pg_ticks "$READ_PG")
				rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$W/read.wrk")
				nreq=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$W/read.wrk")
				bad=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$W/read.wrk")
				cpu=$(echo "$p0 $p1 $q0 $q1 $TCK $nreq" | awk '{printf "%.0f", ($6 > 0 ? 1e6 * (($2 - $1) + ($4 - $3)) / $5 / $6 : 0)}')
				printf '    %-8s %-7s %9s req/s  %7.0f µs a request  %5s µs server CPU a request  non-2xx %s\n' \
					"$route" "$n" "$rps" "$(echo "$rps" | awk '{print ($1 > 0 ? 1e6 / $1 : 0)}')" "$cpu" "${bad:-0}"
				READS="$READS
$engine $n $route $rps $cpu ${bad:-0}"
			done
			stop "$RPID"
			if [ $engine = pg ]; then
				psql_q "$PG_URL" -c "SET client_min_messages TO warning" -c "DROP SCHEMA reads_$n CASCADE"
			fi
			rm -rf "$W/$name"
		done
		if [ $engine = pg ]; then
			sh "$root/scripts/pg.sh" stop "$W/pgr" >/dev/null 2>&1 || true
		fi
	done
	lo=$(echo $READ_SCALES | awk '{print $1}')
	hi=$(echo $READ_SCALES | awk '{print $NF}')
	echo "  -> cost at $hi messages / cost at $lo (server CPU a request, and time a request at saturation):"
	for engine in $engines; do
		for route in inbox history sync; do
			echo "$READS" | awk -v e=$engine -v r=$route -v lo=$lo -v hi=$hi '
				$1 == e && $3 == r && $2 == lo {rl = $4; cl = $5} $1 == e && $3 == r && $2 == hi {rh = $4; ch = $5}
				END {printf "     %-7s %-8s CPU x%.2f (time x%.2f)\n", e, r, (cl > 0 ? ch / cl : 0), (rh > 0 ? rl / rh : 0)}'
		done
	done
	echo
fi

# ---- summary -------------------------------------------------------------------------------------------
yesno() { if [ "$1" = 1 ]; then echo "yes"; else echo "NO"; fi; }
met_send=$(echo "$SEND_RATIO" | awk '{print (($1 >= 50) ? 1 : 0)}')
met_lat=$(echo "$LAT_P99" | awk '{print (($1 < 5) ? 1 : 0)}')
met_idle=$(echo "$IDLE_KIB" | awk '{print (($1 <= 8) ? 1 : 0)}')
echo "== Summary =="
printf '%-44s %-30s %-22s %s\n' "figure" "measured" "target" "met"
printf '%-44s %-30s %-22s %s\n' "nginx static 100 B, wrk -t2 -c64 (req/s)" "$NGINX_RPS" "(reference)" "-"
printf '%-44s %-30s %-22s %s\n' "durable sends/s, 64 senders, 1 KiB" "$SEND_RPS ($SEND_RATIO % of nginx)" ">= 50 % of nginx" "$(yesno "$met_send")"
printf '%-44s %-30s %-22s %s\n' "  non-2xx answers during the send run" "$SEND_NON2XX" "0" "$(yesno "$([ "$SEND_NON2XX" = 0 ] && echo 1)")"
printf '%-44s %-30s %-22s %s\n' "sends per fsync (group commit, $FSYNC_TOOL)" "$PER_FSYNC" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "  transactions per group commit (gdb)" "$PER_COMMIT" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "SSE delivery p50 / p99 at $LAT_RATE msg/s" "$LAT_P50 / $LAT_P99 ms" "p99 < 5 ms" "$(yesno "$met_lat")"
printf '%-44s %-30s %-22s %s\n' "RSS per idle SSE connection ($(field established "$I") open)" "$IDLE_KIB KiB" "<= 8 KiB" "$(yesno "$met_idle")"
printf '%-44s %-30s %-22s %s\n' "DB ceiling, SQLite group commit (sends/s)" "$CEIL_SQ" "(reference)" "-"
printf '%-44s %-30s %-22s %s\n' "DB ceiling, PostgreSQL 15 pgbench (sends/s)" "$CEIL_PG (x$CEIL_RATIO of SQLite)" "(none yet)" "-"
printf '%-44s %-30s %-22s %s\n' "  one writer conn., savepoints (sends/s)" "$CEIL_WSP (without: $CEIL_W)" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "PostgreSQL, one node: durable sends/s" "$PG1_RPS ($(pct "$PG1_RPS" "$CEIL_PG") % of ceiling)" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "PostgreSQL, two nodes: durable sends/s" "$PG2_RPS ($(pct "$PG2_RPS" "$CEIL_PG") % of ceiling)" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "PostgreSQL, two nodes, receivers split" "$PGS_RPS (x$(ratio "$PGS_RPS" "$PG1_RPS") of one node)" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "  vs posternd on SQLite (step 2), 1 / 2 nodes" "x$(ratio "$PG1_RPS" "$SEND_RPS") / x$(ratio "$PG2_RPS" "$SEND_RPS")" "(none)" "-"
printf '%-44s %-30s %-22s %s\n' "  non-2xx, 1 / 2 / 2 split" "$PG1_NON2XX / $PG2_NON2XX / $PGS_NON2XX" "0" "$(yesno "$([ "$PG1_NON2XX" = 0 ] && [ "$PG2_NON2XX" = 0 ] && [ "$PGS_NON2XX" = 0 ] && echo 1)")"
printf '%-44s %-30s %-22s %s\n' "cross-node delivery p50 / p99 at $XLAT_RATE msg/s" "$XLAT_P50 / $XLAT_P99 ms" "p99 < 50 ms" "$(yesno "$(echo "$XLAT_P99" | awk '{print (($1 != "n/a" && $1 < 50) ? 1 : 0)}')")"
printf '%-44s %-30s %-22s %s\n' "kill -9 of a node: lost of acknowledged" "$KILL_LOST of $KILL_ACKED" "0" "$(yesno "$([ "$KILL_LOST" = 0 ] && echo 1)")"
printf '%-44s %-30s %-22s %s\n' "  node B's 2xx after the kill" "$KILL_B_AFTER" "> 0" "$(yesno "$(echo "$KILL_B_AFTER" | awk '{print ($1 + 0 > 0 ? 1 : 0)}')")"
if [ -n "$READS" ]; then
	for engine in sqlite pg; do
		for route in inbox history sync; do
			echo "$READS" | awk -v e=$engine -v r=$route -v lo="$(echo $READ_SCALES | awk '{print $1}')" -v hi="$(echo $READ_SCALES | awk '{print $NF}')" '
				$1 == e && $3 == r && $2 == lo {rl = $4; cl = $5} $1 == e && $3 == r && $2 == hi {rh = $4; ch = $5; seen = 1}
				END {if (seen) {x = (cl > 0 ? ch / cl : 0); printf "%-44s %-30s %-22s %s\n", "read CPU cost " hi "/" lo ", " e " " r,
					sprintf("x%.2f (time x%.2f)", x, (rh > 0 ? rl / rh : 0)), "<= 1.3", (x <= 1.3 ? "yes" : "NO")}}'
		done
	done
fi
