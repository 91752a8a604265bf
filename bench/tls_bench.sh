#!/bin/bash
# bench/tls_bench.sh: the TLS and login benchmarks of issue 4, recorded in
# bench/RESULTS.md ("TLS and logins").
#
# Builds an optimized posthornd and posthorn out of tree and the load
# generator bench/tls_bench.c (cc, OpenSSL), starts posthornd on 127.0.0.1
# high ports (POP3S and IMAPS, a P-256 certificate from `posthorn cert
# selfsigned localhost`) with a temporary data_dir, and measures:
#   1. full TLS handshakes per second on POP3S and IMAPS (TLS 1.3 and 1.2,
#      tls_bench threads; and `openssl s_time -new`, one at a time);
#   2. memory per idle TLS connection: the daemon's RSS with N idle POP3S
#      (then IMAPS) connections minus its RSS before, divided by N;
#   3. POP3 logins per second over TLS with argon2id (the store's cost:
#      libsodium's interactive limits), the credentials cache off, then on;
#   4. NOOP latency of an established POP3S session, alone and while F
#      connections send wrong passwords as fast as they are answered (the
#      throttle off, so every guess costs an argon2id), then the same with
#      the default throttle.
# Prints a Markdown section for bench/RESULTS.md on stdout (progress on
# stderr). Stops the daemon it started, whatever happens.
#
# Usage: bench/tls_bench.sh [-t SECONDS] [-n IDLE_CONNECTIONS] [-f FLOODERS]
#   -t  seconds per measurement (10)  -n  idle connections (2000)
#   -f  flooding connections (32)
# Environment: BENCH_BUILDDIR (/tmp/posthorn-tlsbench-build),
# BENCH_CFLAGS ("-O2 -g"), BENCH_KEEP=1 keeps the data_dir and the log.
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BENCH_BUILDDIR:-/tmp/posthorn-tlsbench-build}
CFLAGS_OPT=${BENCH_CFLAGS:--O2 -g}
SECS=10
IDLE=2000
FLOOD=32
LOGIN_THREADS=4
PASSWORD=tls-bench-password-1

while getopts "t:n:f:" o; do
	case $o in
	t) SECS=$OPTARG ;;
	n) IDLE=$OPTARG ;;
	f) FLOOD=$OPTARG ;;
	*) sed -n '/^# Usage/,/^set -eu/p' "$0" >&2; exit 2 ;;
	esac
done

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'tls_bench.sh: %s\n' "$*" >&2; exit 1; }

build() {
	[ -x "$SRCDIR/configure" ] || die "no $SRCDIR/configure: run autoreconf -fi there first"
	mkdir -p "$BUILDDIR"
	if [ ! -f "$BUILDDIR/Makefile" ]; then
		log "configure in $BUILDDIR (CFLAGS=$CFLAGS_OPT)"
		(cd "$BUILDDIR" && "$SRCDIR/configure" -q CFLAGS="$CFLAGS_OPT") ||
			die "configure failed"
	fi
	log "make posthornd posthorn"
	make -C "$BUILDDIR" -s -j"$(nproc)" posthornd posthorn >&2 || die "build failed"
	log "cc bench/tls_bench.c"
	cc -std=c11 -D_GNU_SOURCE $CFLAGS_OPT -Wall -Wextra -pthread \
		"$SRCDIR/bench/tls_bench.c" -o "$BUILDDIR/tls_bench" -lssl -lcrypto ||
		die "cannot build tls_bench"
	POSTHORND=$BUILDDIR/posthornd
	POSTHORN=$BUILDDIR/posthorn
	TLS_BENCH=$BUILDDIR/tls_bench
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_config EXTRA-LINES: the config, then SIGHUP if the daemon runs.
write_config() {
	cat >"$WORK/posthorn.conf" <<EOF
hostname = localhost
data_dir = $WORK/data
tls_cert = $WORK/cert.pem
tls_key = $WORK/key.pem
listen_pop3s = 127.0.0.1:$POP3S
listen_imaps = 127.0.0.1:$IMAPS
max_connections = 50000
max_connections_per_ip = 50000
log_level = warn
$1
EOF
	if [ -n "${DPID:-}" ]; then
		kill -HUP "$DPID"
		sleep 1
	fi
}

setup() {
	WORK=$(mktemp -d /tmp/posthorn-tlsbench.XXXXXX)
	POP3S=$(free_port)
	IMAPS=$(free_port)
	mkdir "$WORK/data"
	write_config ""
	PH=("$POSTHORN" -c "$WORK/posthorn.conf")
	"${PH[@]}" cert selfsigned localhost >/dev/null
	"${PH[@]}" domain add bench.test
	for i in $(seq 1 "$LOGIN_THREADS"); do
		printf '%s\n' "$PASSWORD" | "${PH[@]}" user add "user$i@bench.test"
	done
	printf '%s\n' "$PASSWORD" | "${PH[@]}" user add "noop@bench.test"
}

start_daemon() {
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	"$POSTHORND" -c "$WORK/posthorn.conf" >"$WORK/posthornd.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$POP3S),1).close()" 2>/dev/null && return 0
		sleep 0.1
	done
	die "posthornd did not start: $(cat "$WORK/posthornd.log")"
}

stop_daemon() {
	kill "$DPID" && wait "$DPID" || die "posthornd exited with an error: $(tail -5 "$WORK/posthornd.log")"
	DPID=
}

cleanup() {
	if [ -n "${DPID:-}" ]; then
		kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	fi
	if [ -n "${WORK:-}" ]; then
		if [ "${BENCH_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
	fi
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
result() { sed -n 's/^RESULT .*'"$1"'=\([^ ]*\).*/\1/p' | tail -1; }

# ---- measurements ------------------------------------------------------------
handshakes() {
	local port=$1 name=$2 v out
	for v in 1.3 1.2; do
		log "$name: TLS $v handshakes, 8 threads, ${SECS}s (load $(loadavg))"
		out=$("$TLS_BENCH" handshake -c 8 -t "$SECS" -V "$v" "127.0.0.1:$port")
		echo "$out" >&2
		printf '| %s | TLS %s, `tls_bench handshake -c 8 -t %s -V %s` | %s/s | %s |\n' \
			"$name" "$v" "$SECS" "$v" "$(echo "$out" | result rate)" "$(loadavg)"
	done
	log "$name: openssl s_time -new (one connection at a time)"
	out=$(openssl s_time -connect "127.0.0.1:$port" -new -time "$SECS" 2>&1 | grep 'connections/user sec' | tail -1)
	echo "$out" >&2
	printf '| %s | `openssl s_time -new -time %s` (sequential) | %s |  %s |\n' "$name" "$SECS" \
		"$(echo "$out" | sed -n 's/.*; \([0-9.]*\) connections\/user sec.*/\1 per CPU second of the client/p')" "$(loadavg)"
}

idle_memory() {
	local port=$1 name=$2 before after fifo n
	# A fresh daemon: freed memory of earlier connections stays in the
	# process (malloc keeps it) and would hide what these cost.
	stop_daemon
	start_daemon
	"$TLS_BENCH" handshake -c 2 -t 1 "127.0.0.1:$port" >/dev/null	# warm up
	sleep 2
	before=$(rss_kib)
	fifo=$WORK/idle.out
	"$TLS_BENCH" idle -c "$IDLE" -t $((SECS + 5)) "127.0.0.1:$port" >"$fifo" &
	local cpid=$!
	for _ in $(seq 600); do
		grep -q '^READY' "$fifo" && break
		sleep 0.1
	done
	sleep 3
	after=$(rss_kib)
	n=$(sed -n 's/^READY \([0-9]*\).*/\1/p' "$fifo")
	wait "$cpid" || true
	log "$name: RSS $before KiB -> $after KiB with $n idle TLS connections"
	printf '| %s | %s | %s KiB | %s KiB | %s KiB |\n' "$name" "$n" "$before" "$after" \
		"$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')"
}

logins() {
	local what=$1 out
	log "logins ($what): $LOGIN_THREADS threads, ${SECS}s (load $(loadavg))"
	out=$("$TLS_BENCH" login -c "$LOGIN_THREADS" -t "$SECS" -u user -d bench.test \
		-p "$PASSWORD" "127.0.0.1:$POP3S")
	echo "$out" >&2
	printf '| %s | %s/s | %s | %s |\n' "$what" "$(echo "$out" | result rate)" \
		"$(echo "$out" | result errors)" "$(loadavg)"
}

flood() {
	local what=$1 out
	log "flood ($what): $FLOOD connections, ${SECS}s alone + ${SECS}s flooded"
	out=$("$TLS_BENCH" flood -c "$FLOOD" -t "$SECS" -u noop@bench.test -p "$PASSWORD" \
		"127.0.0.1:$POP3S")
	echo "$out" >&2
	echo "$out" | awk -v what="$what" '
		/^RESULT mode=flood phase=/ {
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			lat[v["phase"]] = sprintf("%s / %s / %s ms", v["p50_ms"], v["p99_ms"], v["max_ms"])
		}
		/^RESULT mode=flood failed_logins=/ {
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			rate = v["rate"]; thr = v["throttled"]
		}
		END { printf "| %s | %s | %s | %s/s | %s |\n", what, lat["alone"], lat["during-flood"], rate, thr }'
}

argon2id_cost() {
	python3 - <<'EOF'
import ctypes, ctypes.util, time
s = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
s.sodium_init()
s.crypto_pwhash_opslimit_interactive.restype = ctypes.c_ulonglong
s.crypto_pwhash_memlimit_interactive.restype = ctypes.c_size_t
ops, mem = s.crypto_pwhash_opslimit_interactive(), s.crypto_pwhash_memlimit_interactive()
h = ctypes.create_string_buffer(128)
s.crypto_pwhash_str(h, b"x", ctypes.c_ulonglong(1), ctypes.c_ulonglong(ops), ctypes.c_size_t(mem))
t = time.time()
for _ in range(5):
    s.crypto_pwhash_str_verify(h, b"x", ctypes.c_ulonglong(1))
print("%.0f ms (opslimit %d, memlimit %d MiB)" % ((time.time() - t) / 5 * 1000, ops, mem >> 20))
EOF
}

machine() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(uname -srm), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	echo "- $(openssl version); libsodium argon2id at the store's cost (crypto_pwhash interactive limits): one verification took $(argon2id_cost) on one core at the start of the run"
	echo "- posthornd built with CFLAGS=\"$CFLAGS_OPT\"; io_threads and worker_threads at their default (one per core); client and daemon share the machine"
	echo "- load average before the run: $(loadavg) (other work ran on this machine; figures are what it gave)"
	echo "- command: \`bench/tls_bench.sh -t $SECS -n $IDLE -f $FLOOD\`"
}

build
setup
start_daemon

echo "## TLS and logins (issue 4)"
echo
machine
echo
echo "### TLS handshakes per second (full handshakes, no resumption; P-256 certificate)"
echo
echo "| port | load | handshakes | load avg |"
echo "| --- | --- | --- | --- |"
handshakes "$POP3S" "POP3S"
handshakes "$IMAPS" "IMAPS"
echo
echo "### Memory per idle TLS connection (daemon RSS)"
echo
echo "| port | idle connections | RSS before | RSS with them | per connection |"
echo "| --- | --- | --- | --- | --- |"
idle_memory "$POP3S" "POP3S (after the greeting)"
idle_memory "$IMAPS" "IMAPS (after the greeting)"
echo
echo "### POP3S logins per second (new TLS connection, USER, PASS, QUIT; $LOGIN_THREADS client threads, 1 user each)"
echo
echo "| credentials cache | logins | errors | load avg |"
echo "| --- | --- | --- | --- |"
write_config "auth_cache_ttl = 0"
logins "off: every login pays argon2id"
write_config "auth_cache_ttl = 60"
logins "on (60 s): repeated logins verified from the cache"
echo
echo "### NOOP latency on an established POP3S session during a flood of failing logins"
echo
echo "One session sends NOOP every 50 ms; p50 / p99 / max. $FLOOD flooding connections send wrong passwords (unknown users) as fast as they are answered (each failure is answered after ~1 s)."
echo
echo "| throttle | NOOP alone | NOOP during the flood | failed logins | answered [SYS/TEMP] |"
echo "| --- | --- | --- | --- | --- |"
write_config "auth_fail_threshold = 0"
flood "off (every guess runs argon2id)"
write_config ""
flood "default (5 failures per address, then locked)"
