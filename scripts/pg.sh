#!/bin/sh
# scripts/pg.sh — a throwaway PostgreSQL 15 cluster for Postern's tests and benchmarks, and nothing else.
#
# It makes a cluster with Debian's postgresql-15 binaries in a directory of its own, starts it listening on a
# Unix socket in that directory (and, when asked, on one 127.0.0.1 port), and removes it again. Durability is
# left at PostgreSQL's safe defaults (fsync, synchronous_commit and full_page_writes on): the benchmarks
# measure durable commits, so a test cluster must not be faster than a production one. It never touches a
# system cluster (pg_lsclusters), never listens on anything but loopback, and removes only a directory that it
# made itself (the marker file DIR/postern-pg).
#
#   sh scripts/pg.sh start DIR    create DIR (absent or empty), start the cluster, print three lines:
#                                   PG_URL='postgresql://postern@/postern?host=DIR'
#                                   PG_PID=<postmaster pid>
#                                   PG_TCP_URL='postgresql://postern:PASSWORD@127.0.0.1:PORT/postern' (or '')
#                                 (shell assignments: eval "$(sh scripts/pg.sh start DIR)" works)
#   sh scripts/pg.sh stop DIR     stop the cluster and its watchdog, remove DIR; succeeds when DIR is gone
#   sh scripts/pg.sh halt DIR [fast|immediate]
#                                 stop the server of the cluster in DIR but keep DIR (a database outage, for the
#                                 tests of what posternd does meanwhile); default mode fast
#   sh scripts/pg.sh resume DIR   start a halted cluster again, on the same socket, port and data, with a
#                                 watchdog following the same process as the one `start` set up
#
# Environment:
#   PG_PORT   also listen on 127.0.0.1:PG_PORT (0 picks a free port); unset: Unix socket only
#   PG_WATCH  pid to follow: when it is gone, a watchdog stops the cluster and removes DIR (default: the
#             caller, i.e. our parent process; 0: no watchdog)
#   PG_MAX_CONNECTIONS  max_connections (default 100, PostgreSQL's own default)
#   PG_BIN    PostgreSQL's programs (default /usr/lib/postgresql/15/bin)
#   PG_OS_USER  the unprivileged account that owns and runs the cluster when this runs as root (postgres
#             refuses to run as root; default: postgres, the account Debian's package creates)
#
# The role and database are both named postern; the role owns the database. Local (socket) connections are
# trusted, and the socket directory is mode 0700, so only the cluster's owner and root can reach it; TCP
# connections need the role's password (scram-sha-256), a random one kept in DIR/password.
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARKER=postern-pg

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: sh scripts/pg.sh start DIR | stop DIR | halt DIR [fast|immediate] | resume DIR   (see the comment at the top of scripts/pg.sh)" >&2
	exit 2
}

# as_owner USER CMD...: run CMD as the cluster's owner (runuser when we are root and the owner is not)
as_owner() {
	u=$1
	shift
	if [ "$(id -u)" = 0 ] && [ "$u" != root ]; then
		runuser -u "$u" -- "$@"
	else
		"$@"
	fi
}

# alive PID: is PID a live process (not a zombie)?
alive() {
	[ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null || return 1
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)
	[ "$st" != Z ]
}

# postmaster_pid DIR: the first line of postmaster.pid, or nothing
postmaster_pid() {
	head -n 1 "$1/data/postmaster.pid" 2>/dev/null || true
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The watchdog: a small sh loop in its own session (so a kill of the caller's process group leaves it running
# long enough to clean up). Arguments: watched pid, postmaster pid, DIR. When the watched process is gone it
# shuts the postmaster down (immediate mode: a throwaway cluster needs no checkpoint), then removes DIR. If
# the postmaster ends by itself first, it exits and leaves DIR for `stop` (and for the test to read the log).
WATCHDOG_SH='
watched=$1; pm=$2; dir=$3
while kill -0 "$watched" 2>/dev/null && [ "$(awk "{print \$3}" /proc/$watched/stat 2>/dev/null)" != Z ]; do
	kill -0 "$pm" 2>/dev/null || exit 0
	sleep 1
done
kill -QUIT "$pm" 2>/dev/null
i=0
while kill -0 "$pm" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$pm" 2>/dev/null
[ -f "$dir/postern-pg" ] && rm -rf "$dir"
exit 0
'

# start_watchdog DIR WATCHED PM: the watchdog for postmaster PM, unless WATCHED is 0
start_watchdog() {
	if [ "$2" != 0 ]; then
		setsid sh -c "$WATCHDOG_SH" postern-pg-watchdog "$2" "$3" "$1" </dev/null >/dev/null 2>&1 &
		echo $! >"$1/watchdog.pid"
	fi
}

# stop_watchdog DIR: end the watchdog of DIR, only if that pid still is our watchdog
stop_watchdog() {
	w=$(cat "$1/watchdog.pid" 2>/dev/null || true)
	if [ -n "$w" ] && tr '\0' ' ' <"/proc/$w/cmdline" 2>/dev/null | grep -q postern-pg-watchdog; then
		kill -TERM "$w" 2>/dev/null || true
	fi
}

# our_dir DIR: DIR as an absolute path, after checking that scripts/pg.sh made it
our_dir() {
	d=$1
	case $d in /*) ;; *) d=$PWD/$d ;; esac
	[ -f "$d/$MARKER" ] || die "$d was not made by scripts/pg.sh (no $MARKER file); not touching it"
	echo "$d"
}

cmd_halt() {
	dir=$(our_dir "$1")
	mode=${2:-fast}
	case $mode in fast | immediate) ;; *) die "halt mode must be fast or immediate (got '$mode')" ;; esac
	stop_watchdog "$dir"
	pid=$(postmaster_pid "$dir")
	alive "$pid" || die "no server of $dir is running"
	as_owner "$(stat -c %U "$dir/data")" "$PG_BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 30 stop >/dev/null ||
		die "pg_ctl stop -m $mode failed"
}

cmd_resume() {
	dir=$(our_dir "$1")
	watched=$(cat "$dir/watched.pid" 2>/dev/null || echo 0)
	[ "$watched" = 0 ] || alive "$watched" || die "the process this cluster follows ($watched) is gone: stop it instead"
	alive "$(postmaster_pid "$dir")" && die "the server of $dir is running already"
	as_owner "$(stat -c %U "$dir/data")" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
		>>"$dir/pg_ctl.log" 2>&1 || { tail -n 20 "$dir/server.log" >&2 2>/dev/null; die "the server did not start again (its log above)"; }
	pid=$(postmaster_pid "$dir")
	alive "$pid" || die "the server started but $dir/data/postmaster.pid names no live process"
	start_watchdog "$dir" "$watched" "$pid"
}

cmd_start() {
	dir=$1
	case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
	# the path goes into a URL and into postgresql.conf: keep to characters that need no quoting anywhere
	case $dir in *[!A-Za-z0-9/._-]*) die "DIR may contain only A-Z a-z 0-9 / . _ - (got '$dir')" ;; esac
	# a Unix socket path is at most 107 bytes: DIR/.s.PGSQL.NNNNN
	[ ${#dir} -le 90 ] || die "DIR is ${#dir} characters long; its socket path would pass the 107-byte limit (use a path of at most 90)"
	[ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found: install postgresql-15 (sh scripts/deps.sh)"
	if [ -e "$dir" ]; then
		[ -d "$dir" ] || die "$dir exists and is not a directory"
		[ -z "$(ls -A "$dir")" ] || die "$dir is not empty; refusing to make a cluster in it"
	fi
	owner=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		owner=${PG_OS_USER:-postgres}
		id -u "$owner" >/dev/null 2>&1 || die "running as root, the cluster needs an unprivileged owner; user '$owner' does not exist (set PG_OS_USER)"
		[ "$(id -u "$owner")" != 0 ] || die "PG_OS_USER must not be root: postgres refuses to run as root"
	fi
	mkdir -p "$dir"
	# from here on a failed start removes what it made (after printing the logs that say why)
	fail_start() {
		cmd_stop "$dir" >/dev/null 2>&1 || true
		die "$@"
	}
	echo "a throwaway cluster made by scripts/pg.sh; sh scripts/pg.sh stop $dir removes this directory" >"$dir/$MARKER"
	chmod 0700 "$dir"
	[ "$owner" = "$(id -un)" ] || chown -R "$owner" "$dir"
	as_owner "$owner" test -w "$dir" ||
		fail_start "$owner cannot write $dir: a directory above it is closed to that user (use a DIR under /tmp)"

	port=5432 # on a socket-only cluster the port only names the socket file (DIR/.s.PGSQL.5432)
	listen=""
	if [ -n "${PG_PORT:-}" ]; then
		case $PG_PORT in *[!0-9]*) fail_start "PG_PORT must be a number (got '$PG_PORT')" ;; esac
		port=$PG_PORT
		[ "$port" != 0 ] || port=$(free_port)
		listen=127.0.0.1
	fi
	password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
	umask 077
	printf '%s\n' "$password" >"$dir/password"
	[ "$owner" = "$(id -un)" ] || chown "$owner" "$dir/password"

	# initdb --no-sync: the cluster is thrown away, so initdb need not flush its files; the server's own
	# fsync (below) stays on
	as_owner "$owner" "$PG_BIN/initdb" -D "$dir/data" -U postgres --encoding=UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; fail_start "initdb failed (log above)"; }
	cat >>"$dir/data/postgresql.conf" <<EOF

# ---- scripts/pg.sh: a throwaway cluster for tests and benchmarks ----
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
max_connections = ${PG_MAX_CONNECTIONS:-100}
# durability as in production: what the benchmarks measure
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
EOF
	as_owner "$owner" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >"$dir/pg_ctl.log" 2>&1 ||
		{ tail -n 20 "$dir/server.log" >&2 2>/dev/null; fail_start "the server did not start (its log above)"; }
	pid=$(postmaster_pid "$dir")
	alive "$pid" || fail_start "the server started but $dir/data/postmaster.pid names no live process"

	# the role and the database (as the bootstrap superuser, over the socket)
	psql_admin() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"; }
	if ! psql_admin -c "CREATE ROLE postern LOGIN PASSWORD '$password'" >>"$dir/pg_ctl.log" 2>&1 ||
		! psql_admin -c "CREATE DATABASE postern OWNER postern" >>"$dir/pg_ctl.log" 2>&1; then
		cat "$dir/pg_ctl.log" >&2
		fail_start "could not create the postern role and database"
	fi

	watched=${PG_WATCH:-$PPID}
	echo "$watched" >"$dir/watched.pid"
	start_watchdog "$dir" "$watched" "$pid"
	echo "PG_URL='postgresql://postern@/postern?host=$dir&port=$port'"
	echo "PG_PID=$pid"
	if [ -n "$listen" ]; then
		echo "PG_TCP_URL='postgresql://postern:$password@127.0.0.1:$port/postern'"
	else
		echo "PG_TCP_URL=''"
	fi
}

cmd_stop() {
	dir=$1
	case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
	[ -e "$dir" ] || return 0
	[ -f "$dir/$MARKER" ] || die "$dir was not made by scripts/pg.sh (no $MARKER file); not touching it"
	# the watchdog first, so it cannot race us
	stop_watchdog "$dir"
	pid=$(postmaster_pid "$dir")
	if alive "$pid"; then
		owner=$(stat -c %U "$dir/data")
		as_owner "$owner" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
		i=0
		while alive "$pid" && [ $i -lt 50 ]; do
			[ $i != 20 ] || kill -QUIT "$pid" 2>/dev/null || true # fast shutdown stuck: immediate
			sleep 0.2
			i=$((i + 1))
		done
		if alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.5
		fi
	fi
	rm -rf "$dir"
}

[ $# -ge 2 ] || usage
case $1 in
start) [ $# = 2 ] || usage; cmd_start "$2" ;;
stop) [ $# = 2 ] || usage; cmd_stop "$2" ;;
halt) [ $# -le 3 ] || usage; cmd_halt "$2" "${3:-fast}" ;;
resume) [ $# = 2 ] || usage; cmd_resume "$2" ;;
*) usage ;;
esac
