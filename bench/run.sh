#!/bin/sh
# bench/run.sh — the benchmark of BENCHMARKS.md, in one run (about three minutes; `make bench` runs it).
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
#    (bench/sqlite_ceiling.c), sends/s each and their ratio. BENCH_SKIP_CEILING=1 leaves it out.
# Environment: BENCH_DURATION (seconds per measured run, default 10), BENCH_IDLE_CONNS (default 5000),
# BENCH_FSYNC_TOOL=strace (use strace for step 3 even where perf works), BENCH_TLOG_ENTRIES (step 6).
#
# As root on Debian 12 it installs what it needs (apt-get); otherwise it prints the command and fails.
# Every server it starts is stopped on exit (trap), every client runs under `timeout`.
set -eu

build=${1:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
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
chmod 755 "$W" # nginx workers (user nobody when started as root) read the file under it
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
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
	wait "$1" 2>/dev/null || true
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
CEIL_PG="n/a" CEIL_SQ="n/a" CEIL_RATIO="n/a"
if [ "${BENCH_SKIP_CEILING:-0}" = 1 ]; then
	echo "== 7. database ceiling: skipped (BENCH_SKIP_CEILING=1) =="
elif [ ! -x /usr/lib/postgresql/15/bin/pgbench ]; then
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
	echo "  -> PostgreSQL $CEIL_PG sends/s ($(echo "$CEIL_PG $NGINX_RPS" | awk '{printf "%.1f", 100*$1/$2}') % of nginx)," \
		"SQLite $CEIL_SQ sends/s ($(echo "$CEIL_SQ $NGINX_RPS" | awk '{printf "%.1f", 100*$1/$2}') % of nginx);" \
		"PostgreSQL / SQLite = $CEIL_RATIO; posternd's durable sends (step 2) = $(echo "$SEND_RPS $CEIL_SQ" | awk '{printf "%.0f", ($2 > 0 ? 100*$1/$2 : 0)}') % of the SQLite ceiling"
fi
echo

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
