#!/bin/bash
# bench/outbound_bench.sh: the outbound benchmark of issue 5 (bench/RESULTS.md).
#
# Delivery runs (each from a clean data_dir): posthornd with a submission
# listener on 127.0.0.1 (AUTH PLAIN over plaintext, allowed on loopback),
# bench/smtp_bench -a submits MESSAGES messages of SIZE bytes over CONNS
# connections from sender@bench.test to foreign recipients, and the
# outbound queue delivers them to Postfix's smtp-sink on 127.0.0.2. Each
# run measures, from the first connection:
#   submission rate: messages accepted (250 after DATA) per second;
#   delivery rate:   messages received by the sink per second, end to end
#                    (until the sink has them all and `posthorn queue list`
#                    shows an empty queue), and while the submission ran;
#   the daemon's and the sink's CPU time, the whole machine's, the daemon's
#   RSS, a timeline of the sink's counter (one line per second).
# Runs ("-t"):
#   relay-nodkim  relayhost = 127.0.0.2:PORT, relayhost_tls = none, dkim_sign = no
#   relay         the same with dkim_sign = yes (rsa-sha256 and ed25519-sha256
#                 keys made by `posthorn dkim generate bench.test`)
#   mx            real MX routing: nsd on 127.0.0.1 serves remote1..remoteD.test
#                 MX -> mx.remoteN.test A 127.0.0.2; dns_server and
#                 outbound_port point posthornd at it; DKIM on
#   queue         queue memory: QUEUE_MSGS messages submitted while the
#                 relayhost is a closed port (queue_retry_schedule = 1h),
#                 then the daemon's VmRSS / RssAnon / RssFile, data.mdb,
#                 the time of `posthorn queue list`; then the daemon is
#                 restarted with the relayhost pointing at a running sink,
#                 `posthorn queue retry` makes everything due, and the
#                 drain is timed like a delivery run.
#
# It changes nothing outside its temporary directories and the build
# directory, and stops every process it started (daemon, sink, nsd) by pid,
# whatever happens. It does not check message contents at the sink (the
# integration tests verify DKIM signatures); it checks counts: every
# accepted message reaches the sink exactly once (no more after a settle
# time) and the queue ends empty.
#
# Usage: bench/outbound_bench.sh [-n MESSAGES] [-c CONNS] [-m PER_CONN] [-s SIZE]
#            [-q QUEUE_MSGS] [-D MX_DOMAINS] [-t "RUN ..."] [-P]
#   -n  messages per delivery run (20000)   -c  submission connections (16)
#   -m  messages per submission connection (1250: each connection stays open)
#   -s  message size in bytes (4096)        -q  messages for the queue run (100000)
#   -D  recipient domains of the mx run (4) -t  runs (relay-nodkim relay mx queue)
#   -P  perf record the daemon during each delivery run (profile in the summary)
# Environment: BENCH_BUILDDIR (/tmp/posthorn-bench-build), BENCH_CFLAGS
# ("-O2 -g"), BENCH_KEEP=1 keeps the work directories, BENCH_WAIT_QUIET=1
# waits for other work on the machine to calm down before each load,
# OUTBOUND_MAX_CONNECTIONS (20), RELAY_MAX_PER_DOMAIN (20: the relayhost is
# one destination), MX_MAX_PER_DOMAIN (unset: the default, 4),
# STALL_SECONDS (120: give up when the sink's count stops moving),
# BENCH_CALLGRAPH (fp: perf's --call-graph with -P; dwarf for callers
# when posthornd is built without frame pointers).
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${BENCH_BUILDDIR:-/tmp/posthorn-bench-build}
CFLAGS_OPT=${BENCH_CFLAGS:--O2 -g}
MESSAGES=20000
CONNS=16
PER_CONN=1250
SIZE=4096
QUEUE_MSGS=100000
MX_DOMAINS=4
RUNS="relay-nodkim relay mx queue"
PROFILE=no
PASSWORD=bench-password-1
SENDER=sender@bench.test
RCPT_USERS=1000
SINK_ADDR=127.0.0.2
OUT_CONNS=${OUTBOUND_MAX_CONNECTIONS:-20}
RELAY_PER_DOMAIN=${RELAY_MAX_PER_DOMAIN:-20}
MX_PER_DOMAIN=${MX_MAX_PER_DOMAIN:-}
STALL=${STALL_SECONDS:-120}

while getopts "n:c:m:s:q:D:t:P" o; do
	case $o in
	n) MESSAGES=$OPTARG ;;
	c) CONNS=$OPTARG ;;
	m) PER_CONN=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	q) QUEUE_MSGS=$OPTARG ;;
	D) MX_DOMAINS=$OPTARG ;;
	t) RUNS=$OPTARG ;;
	P) PROFILE=yes ;;
	*) sed -n '/^# Usage/,/^set -eu/p' "$0" >&2; exit 2 ;;
	esac
done

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'outbound_bench.sh: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
# calc EXPR [DECIMALS]: arithmetic on seconds and counts (comparisons give 1 or 0)
calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }

# shellcheck source=bench/bench_lib.sh
. "$SRCDIR/bench/bench_lib.sh"

command -v smtp-sink >/dev/null || die "smtp-sink (Debian package postfix) is needed"
bench_build posthornd posthorn bench/smtp_bench
SMTP_BENCH=$BUILDDIR/bench/smtp_bench
SUMMARY=$(mktemp /tmp/posthorn-outbound-summary.XXXXXX)
DPID='' SINK_PID='' NSD_PID='' PERF_PID='' WORK=''

# ---- processes -------------------------------------------------------------------
cli() { "$POSTHORN" -c "$CONF" "$@"; }

# new_work NAME: a fresh directory, config header, submission port.
new_work() {
	WORK=$(mktemp -d "/tmp/posthorn-outbound-$1.XXXXXX")
	CONF=$WORK/posthorn.conf
	DLOG=$WORK/posthornd.log
	SUB_PORT=$(free_port)
	SINK_PORT=$(free_port "$SINK_ADDR")
	SINK_OUT=$WORK/sink.out
}

# write_config KEY=VALUE...: the common keys, then the run's own.
write_config() {
	local kv
	{
		echo "# generated by bench/outbound_bench.sh"
		echo "hostname = mail.bench.test"
		echo "data_dir = $WORK/data"
		echo "listen_submission = 127.0.0.1:$SUB_PORT"
		echo "max_message_size = 10M"
		echo "outbound_max_connections = $OUT_CONNS"
		echo "outbound_connect_timeout = 5"
		echo "outbound_timeout = 30"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} > "$CONF"
}

provision() {
	cli domain add bench.test >/dev/null || die "domain add failed"
	printf '%s\n' "$PASSWORD" | cli user add "$SENDER" >/dev/null || die "user add failed"
	cli dkim generate bench.test > "$WORK/dkim.txt" || die "dkim generate failed"
}

start_daemon() {
	"$POSTHORND" -c "$CONF" >> "$DLOG" 2>&1 < /dev/null &
	DPID=$!
	wait_listen 127.0.0.1 "$SUB_PORT" "$DPID" || { tail -20 "$DLOG" >&2; die "posthornd does not listen"; }
	log "posthornd pid $DPID, submission 127.0.0.1:$SUB_PORT"
}

# One login before the timed load, so that the 16 connections find the
# credentials cache warm instead of running argon2id 16 times at once
# (bench/RESULTS.md, POP3: cold logins cost 0.2-0.5 s each here).
warm_login() {
	local t0
	t0=$(now)
	python3 - "$SUB_PORT" "$SENDER" "$PASSWORD" <<-'EOF' || die "warm-up login failed"
	import smtplib, sys
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
	s.ehlo("warm.client.test")
	s.login(sys.argv[2], sys.argv[3])
	s.quit()
	EOF
	log "warm-up login (argon2id once, then cached) took $(calc "$(now) - $t0" 2) s"
}

# outbound log lines of the daemon by status (sent, deferred, bounced...)
outbound_statuses() {
	grep -o 'outbound: .*status=[a-z]*' "$DLOG" | sed 's/.*status=//' | sort | uniq -c |
	    awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

stop_daemon() {
	local rc=0
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" || rc=$?
	DPID=
	log "posthornd stopped, exit status $rc"
}

start_sink() {
	local user=()
	[ "$(id -u)" = 0 ] && user=(-u root)
	: > "$SINK_OUT"
	smtp-sink -c "${user[@]}" "$SINK_ADDR:$SINK_PORT" 256 > "$SINK_OUT" 2> "$WORK/sink.err" < /dev/null &
	SINK_PID=$!
	wait_listen "$SINK_ADDR" "$SINK_PORT" "$SINK_PID" || die "smtp-sink does not listen: $(cat "$WORK/sink.err")"
	log "smtp-sink pid $SINK_PID on $SINK_ADDR:$SINK_PORT"
}

stop_sink() {
	[ -n "$SINK_PID" ] || return 0
	kill -TERM "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}

# The sink's message counter: its -c output is "sess=N quit=N mesg=N\r"
# rewritten after every session, QUIT and end of data.
sink_count() {
	local n
	n=$(tail -c 200 "$SINK_OUT" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
	echo "${n:-0}"
}

# nsd serving the zone test. on 127.0.0.1:NSD_PORT: remote1..remoteD.test
# MX 10 mx.remoteN.test, each A 127.0.0.2 (the sink).
start_nsd() {
	local d=$WORK/nsd i
	mkdir -p "$d"
	NSD_PORT=$(free_port)
	{
		echo '$ORIGIN test.'
		echo '$TTL 3600'
		echo '@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60'
		echo '@ IN NS ns.test.'
		echo 'ns IN A 127.0.0.1'
		for ((i = 1; i <= MX_DOMAINS; i++)); do
			echo "remote$i IN MX 10 mx.remote$i.test."
			echo "mx.remote$i IN A $SINK_ADDR"
		done
	} > "$d/test.zone"
	cat > "$d/nsd.conf" <<-EOF
	server:
	    ip-address: 127.0.0.1@$NSD_PORT
	    port: $NSD_PORT
	    do-ip6: no
	    username: ""
	    chroot: ""
	    zonesdir: "$d"
	    database: ""
	    zonelistfile: "$d/zone.list"
	    xfrdfile: "$d/xfrd.state"
	    xfrdir: "$d"
	    pidfile: "$d/nsd.pid"
	    logfile: "$d/nsd.log"
	    verbosity: 1
	    server-count: 1
	    hide-version: yes
	    # nsd's response rate limiting (200 answers/s per /24 by default)
	    # would drop or truncate most answers to posthornd, which asks
	    # for MX, A and AAAA of every delivery: off
	    rrl-ratelimit: 0
	    rrl-whitelist-ratelimit: 0
	remote-control:
	    control-enable: no
	zone:
	    name: "test"
	    zonefile: "test.zone"
	EOF
	nsd -d -c "$d/nsd.conf" > "$d/nsd.out" 2>&1 < /dev/null &
	NSD_PID=$!
	wait_listen 127.0.0.1 "$NSD_PORT" "$NSD_PID" || die "nsd does not start: $(cat "$d/nsd.out" "$d/nsd.log" 2>/dev/null)"
	# nsd listens before the zone is loaded: ask until the MX answers
	for ((i = 0; i < 50; i++)); do
		python3 - "$NSD_PORT" <<-'EOF' 2>/dev/null && break
		import os, socket, struct, sys
		q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x07remote1\x04test\x00" + struct.pack(">HH", 15, 1)
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
		s.sendto(q, ("127.0.0.1", int(sys.argv[1]))); r = s.recv(512)
		sys.exit(0 if (r[3] & 15) == 0 and struct.unpack(">H", r[6:8])[0] >= 1 else 1)
		EOF
		sleep 0.1
	done
	[ "$i" -lt 50 ] || die "nsd does not answer remote1.test MX"
	log "nsd pid $NSD_PID on 127.0.0.1:$NSD_PORT serving remote1..remote$MX_DOMAINS.test"
}

# CPU ticks of nsd: its main process, its child and the child's server
# process (three levels)
nsd_ticks() {
	local p c t=0
	for p in "$NSD_PID" $(pgrep -P "$NSD_PID"); do
		for c in "$p" $( [ "$p" = "$NSD_PID" ] || pgrep -P "$p"); do
			t=$((t + $(cpu_ticks_of "$c" 2>/dev/null || echo 0)))
		done
	done
	echo "$t"
}

stop_nsd() {
	[ -n "$NSD_PID" ] || return 0
	kill -TERM "$NSD_PID" 2>/dev/null || true
	wait "$NSD_PID" 2>/dev/null || true
	NSD_PID=
}

stop_all() {
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		PERF_PID=
	fi
	stop_daemon
	stop_sink
	stop_nsd
	if [ -n "$WORK" ]; then
		if [ "${BENCH_KEEP:-}" = 1 ]; then
			log "kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	WORK=
}

trap 'stop_all; log "summary: $SUMMARY"' EXIT
trap "exit 130" INT TERM HUP

# queue_entries: entries in `posthorn queue list` (one "id: N" line each,
# "queue is empty" when there are none); -1 when the command fails.
queue_entries() {
	local out
	out=$(cli queue list 2>&1) || { echo -1; return; }
	printf '%s\n' "$out" | grep -c '^id: ' || true
}

# ---- one timed load --------------------------------------------------------------
# wait_delivered TARGET [BENCH_PID]: polls the sink's counter until it
# reaches TARGET (or, while BENCH_PID runs, until the generator has ended
# and the counter reached what it got accepted). Sets T_SUB, CNT_SUB,
# T_END, CNT_END, STALLED; writes WORK/timeline.txt (seconds, sink count).
wait_delivered() {
	local target=$1 bpid=${2:-} t cnt last_cnt=-1 last_move tick=0 rc
	T_SUB='' CNT_SUB='' STALLED=no BENCH_RC=''
	last_move=$(now)
	: > "$WORK/timeline.txt"
	while :; do
		t=$(now)
		cnt=$(sink_count)
		if [ "$(calc "($t - $T0) >= $tick" 0)" = 1 ]; then
			echo "$(calc "$t - $T0" 2) $cnt" >> "$WORK/timeline.txt"
			tick=$((tick + 1))
		fi
		if [ -n "$bpid" ] && ! kill -0 "$bpid" 2>/dev/null; then
			rc=0
			wait "$bpid" || rc=$?
			BENCH_RC=$rc
			T_SUB=$t CNT_SUB=$cnt bpid=
			target=$(result_field ok)
			[ -n "$target" ] || target=0
			log "submission done after $(calc "$t - $T0" 2) s: $target accepted, sink has $cnt"
		fi
		if [ -z "$bpid" ] && [ "$cnt" -ge "$target" ]; then
			break
		fi
		if [ "$cnt" != "$last_cnt" ]; then
			last_cnt=$cnt last_move=$t
		elif [ "$(calc "($t - $last_move) > $STALL" 0)" = 1 ]; then
			STALLED=yes
			log "STALLED: the sink's count stayed at $cnt for $STALL s"
			break
		fi
		sleep 0.05
	done
	T_END=$(now)
	CNT_END=$cnt
	TARGET=$target
}

result_field() { sed -n "s/^RESULT.* $1=\([^ ]*\).*/\1/p" "$WORK/bench.out"; }

# evidence when something went wrong: log tail, queue, threads' stacks
capture_evidence() {
	{
		echo "### evidence ($1), $(date -u '+%H:%M:%S UTC')"
		echo "sink count $(sink_count); queue entries $(queue_entries)"
		echo "posthornd log, last 30 lines:"
		tail -30 "$DLOG" | sed 's/^/    /'
		if [ -n "$DPID" ] && command -v gdb >/dev/null; then
			echo "thread stacks:"
			timeout 30 gdb -p "$DPID" -batch -ex 'thread apply all bt 8' 2>/dev/null |
			    grep -E '^(Thread|#)' | head -80 | sed 's/^/    /'
		fi
	} | tee -a "$SUMMARY" >&2
}

# measure_delivery NAME: submit MESSAGES and time the delivery to the sink.
measure_delivery() {
	local name=$1 hz c0 c1 s0 s1 b0 b1 n0=0 n1 gen settle qn tq0 tq1 wall dwall
	hz=$(getconf CLK_TCK)
	wait_quiet
	if [ "$PROFILE" = yes ]; then
		perf record -F 499 --call-graph "${BENCH_CALLGRAPH:-fp}" -o "$WORK/perf.data" -p "$DPID" 2>/dev/null &
		PERF_PID=$!
		sleep 0.5
	fi
	STAT_PID=''
	if command -v perf >/dev/null; then
		perf stat -x, -o "$WORK/sync.perf" -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync \
		    -p "$DPID" 2>/dev/null &
		STAT_PID=$!
		sleep 0.5
	fi
	c0=$(cpu_ticks_of "$DPID") s0=$(cpu_ticks_of "$SINK_PID") b0=$(busy_ticks)
	[ -n "$NSD_PID" ] && n0=$(nsd_ticks)
	T0=$(now)
	/usr/bin/time -f '%U %S' -o "$WORK/gen.time" \
	    "$SMTP_BENCH" -p "$SUB_PORT" -c "$CONNS" -n "$MESSAGES" -s "$SIZE" -m "$PER_CONN" \
	    -a "$SENDER:$PASSWORD" -f "$SENDER" -L rcpt -u "$RCPT_USERS" -d "$RCPT_DOMAINS" \
	    > "$WORK/bench.out" 2> "$WORK/bench.err" &
	wait_delivered "$MESSAGES" $!
	c1=$(cpu_ticks_of "$DPID") s1=$(cpu_ticks_of "$SINK_PID") b1=$(busy_ticks)
	n1=0
	[ -n "$NSD_PID" ] && n1=$(nsd_ticks)
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=
	fi
	if [ -n "$STAT_PID" ]; then
		kill -INT "$STAT_PID"; wait "$STAT_PID" || true
	fi
	[ "$STALLED" = yes ] && capture_evidence "$name"
	sleep 2		# anything more would be a duplicate delivery
	settle=$(sink_count)
	tq0=$(now); qn=$(queue_entries); tq1=$(now)
	wall=$(calc "$T_END - $T0" 3)
	gen=$(awk '{ print $1 + $2 }' "$WORK/gen.time" 2>/dev/null || echo 0)
	dwall=$(calc "$T_END - $T_SUB" 3)
	{
		echo "### $name"
		echo "routing: $ROUTE_DESC"
		echo "load: smtp_bench -c $CONNS -n $MESSAGES -s $SIZE -m $PER_CONN -a (AUTH PLAIN) -d $RCPT_DOMAINS (generator exit $BENCH_RC)"
		grep -E 'accepted|failed|rate|latency' "$WORK/bench.out" | sed 's/^/    /'
		head -5 "$WORK/bench.err" | sed 's/^/    stderr: /'
		echo "submission: $TARGET accepted in $(calc "$T_SUB - $T0" 3) s = $(calc "$TARGET / ($T_SUB - $T0)") msgs/s; the sink had $CNT_SUB by then ($(calc "$CNT_SUB / ($T_SUB - $T0)") msgs/s delivered while submitting)"
		echo "end to end: $CNT_END of $TARGET at the sink $wall s after the first connection = $(calc "$CNT_END / $wall") msgs/s$([ "$STALLED" = yes ] && echo " (STALLED)")"
		echo "drain after the submission ended: $((CNT_END - CNT_SUB)) in $dwall s$( [ "$(calc "$dwall > 0.05" 0)" = 1 ] && echo " = $(calc "($CNT_END - $CNT_SUB) / $dwall") msgs/s")"
		echo "posthornd log, outbound results: $(outbound_statuses)"
		echo "sink count 2 s later: $settle ($([ "$settle" = "$TARGET" ] && echo "exactly once: OK" || echo "MISMATCH with $TARGET accepted"))"
		echo "posthorn queue list: $qn entries ($(calc "$tq1 - $tq0" 2) s)"
		echo "CPU over the run: posthornd $(calc "($c1 - $c0) / $hz" 2) s = $(calc "1000000 * ($c1 - $c0) / $hz / $CNT_END" 0) us/msg; smtp-sink $(calc "($s1 - $s0) / $hz" 2) s; smtp_bench ${gen} s; nsd $(calc "($n1 - $n0) / $hz" 2) s; whole machine $(calc "($b1 - $b0) / $hz" 2) s of $(calc "$wall * $(nproc)" 2) = $(calc "100 * ($b1 - $b0) / $hz / ($wall * $(nproc))" 0)%, of which other work (machine minus these four) $(calc "($b1 - $b0 - $c1 + $c0 - $s1 + $s0 - $n1 + $n0) / $hz - $gen" 2) s"
		echo "fdatasync+fsync of posthornd over the run: $(awk -F, '$3 ~ /sys_enter_f(data)?sync/ { n += $1 } END { print n + 0 }' "$WORK/sync.perf" 2>/dev/null) for $TARGET submitted + $CNT_END delivered"
		echo "posthornd RSS after: $(status_kib "$DPID" VmRSS) KiB (anon $(status_kib "$DPID" RssAnon), file $(status_kib "$DPID" RssFile)), peak $(status_kib "$DPID" VmHWM) KiB, threads $(status_kib "$DPID" Threads || true)"
		echo "machine busy with other work just before: ${BG}%; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "sink count per second: $(awk '{ printf "%s%d", (NR > 1 ? " " : ""), $2 }' "$WORK/timeline.txt")"
		echo "posthornd log: $(wc -l < "$DLOG") lines, $(grep -ciE 'warn|error|fatal|crit' "$DLOG" || true) warnings/errors"
		grep -iE 'warn|error|fatal|crit' "$DLOG" | sort | uniq -c | sort -rn | head -5 | sed 's/^/    /'
		echo
	} | tee -a "$SUMMARY"
	if [ -f "$WORK/perf.data" ]; then
		{
			echo "### profile of posthornd during $name (perf record -F 499 -g, self time)"
			perf report -i "$WORK/perf.data" --no-children --stdio --sort dso -g none 2>/dev/null | grep '%' | head -10
			perf report -i "$WORK/perf.data" --no-children --stdio --sort dso,symbol -g none 2>/dev/null | grep '%' | head -30
			echo "children included (callers):"
			perf report -i "$WORK/perf.data" --children --stdio --sort symbol -g none 2>/dev/null | grep '%' | head -30
			echo
		} | tee -a "$SUMMARY"
	fi
}

# ---- runs -----------------------------------------------------------------------
run_relay() {
	local name=$1 dkim=$2
	log "run $name: relayhost, dkim_sign = $dkim"
	new_work "$name"
	write_config "relayhost=[$SINK_ADDR]:$SINK_PORT" relayhost_tls=none \
	    "outbound_max_per_domain=$RELAY_PER_DOMAIN" "dkim_sign=$dkim"
	ROUTE_DESC="relayhost [$SINK_ADDR]:$SINK_PORT, relayhost_tls none, outbound_max_connections $OUT_CONNS, outbound_max_per_domain $RELAY_PER_DOMAIN, dkim_sign $dkim"
	RCPT_DOMAINS=remote.test
	provision
	start_sink
	start_daemon
	warm_login
	measure_delivery "$name"
	stop_all
}

run_mx() {
	local i doms=
	log "run mx: nsd, MX routing to $MX_DOMAINS domains"
	new_work mx
	for ((i = 1; i <= MX_DOMAINS; i++)); do
		doms=${doms:+$doms,}remote$i.test
	done
	RCPT_DOMAINS=$doms
	start_nsd
	write_config "dns_server=127.0.0.1:$NSD_PORT" "outbound_port=$SINK_PORT" dkim_sign=yes \
	    ${MX_PER_DOMAIN:+"outbound_max_per_domain=$MX_PER_DOMAIN"}
	ROUTE_DESC="MX via nsd (dns_server 127.0.0.1:$NSD_PORT), $MX_DOMAINS domains -> $SINK_ADDR:$SINK_PORT, outbound_max_connections $OUT_CONNS, outbound_max_per_domain ${MX_PER_DOMAIN:-4 (default)}, dkim_sign yes"
	provision
	start_sink
	start_daemon
	warm_login
	measure_delivery mx
	stop_all
}

run_queue() {
	local dead hz c0 c1 i r t0 t1 mdb
	log "run queue: $QUEUE_MSGS messages queued while the relayhost is down"
	new_work queue
	dead=$(free_port "$SINK_ADDR")		# nothing listens there
	write_config "relayhost=[$SINK_ADDR]:$dead" relayhost_tls=none queue_retry_schedule=1h \
	    "outbound_max_per_domain=$RELAY_PER_DOMAIN" dkim_sign=yes
	provision
	start_daemon
	warm_login
	hz=$(getconf CLK_TCK)
	{
		echo "### queue: $QUEUE_MSGS messages queued, relayhost [$SINK_ADDR]:$dead closed, queue_retry_schedule 1h, dkim_sign yes"
		echo "posthornd at start: VmRSS $(status_kib "$DPID" VmRSS) KiB (anon $(status_kib "$DPID" RssAnon), file $(status_kib "$DPID" RssFile))"
	} | tee -a "$SUMMARY"
	wait_quiet
	t0=$(now)
	"$SMTP_BENCH" -p "$SUB_PORT" -c "$CONNS" -n "$QUEUE_MSGS" -s "$SIZE" -m "$PER_CONN" \
	    -a "$SENDER:$PASSWORD" -f "$SENDER" -L rcpt -u "$RCPT_USERS" -d remote.test \
	    > "$WORK/bench.out" 2> "$WORK/bench.err" || true
	t1=$(now)
	# every entry gets one refused attempt; wait until the daemon is idle
	for ((i = 0; i < 120; i++)); do
		c0=$(cpu_ticks_of "$DPID"); sleep 1; c1=$(cpu_ticks_of "$DPID")
		[ $((c1 - c0)) -le $((hz / 50)) ] && break
	done
	mdb=$(find "$WORK/data" -name data.mdb | head -1)
	{
		echo "fill: smtp_bench -c $CONNS -n $QUEUE_MSGS -s $SIZE -m $PER_CONN -a: $(result_field ok) accepted, $(result_field failed) failed in $(calc "$t1 - $t0" 2) s = $(result_field msgs_per_s) msgs/s (machine busy with other work before: ${BG}%)"
		echo "daemon idle again $((i + 1)) s after the fill (CPU under 2% for 1 s)"
		echo "posthornd with the queue full: VmRSS $(status_kib "$DPID" VmRSS) KiB = anon $(status_kib "$DPID" RssAnon) + file $(status_kib "$DPID" RssFile) + shmem $(status_kib "$DPID" RssShmem); VmHWM $(status_kib "$DPID" VmHWM) KiB; VmSize $(status_kib "$DPID" VmSize) KiB"
		echo "data.mdb: $(stat -c %s "$mdb") bytes apparent, $(du -k "$mdb" | cut -f1) KiB allocated"
		echo "posthornd log, outbound results: $(outbound_statuses)"
		grep 'outbound: ' "$DLOG" | head -1 | sed 's/^/    first: /'
		grep 'outbound: ' "$DLOG" | tail -1 | sed 's/^/    last: /'
	} | tee -a "$SUMMARY"
	for r in 1 2; do
		t0=$(now)
		i=0
		cli queue list > "$WORK/queue.list" 2> "$WORK/queue.err" || i=$?
		t1=$(now)
		echo "posthorn queue list (run $r): exit $i, $(wc -l < "$WORK/queue.list") lines in $(calc "$t1 - $t0" 3) s; | tail: $(
			t0=$(now); cli queue list | tail -2 > "$WORK/queue.tail"; t1=$(now); calc "$t1 - $t0" 3) s" | tee -a "$SUMMARY"
	done
	sed 's/^/    /' "$WORK/queue.tail" | tee -a "$SUMMARY"
	head -3 "$WORK/queue.list" | sed 's/^/    head: /' | tee -a "$SUMMARY"

	# drain: restart towards a running sink, then make every entry due
	stop_daemon
	start_sink
	write_config "relayhost=[$SINK_ADDR]:$SINK_PORT" relayhost_tls=none queue_retry_schedule=1h \
	    "outbound_max_per_domain=$RELAY_PER_DOMAIN" dkim_sign=yes
	t0=$(now)
	start_daemon
	t1=$(now)
	echo "restart with $QUEUE_MSGS queued: listening after $(calc "$t1 - $t0" 2) s; VmRSS $(status_kib "$DPID" VmRSS) KiB (anon $(status_kib "$DPID" RssAnon), file $(status_kib "$DPID" RssFile))" | tee -a "$SUMMARY"
	wait_quiet
	c0=$(cpu_ticks_of "$DPID")
	T0=$(now)
	r=0
	cli queue retry > "$WORK/retry.out" 2>&1 || r=$?
	echo "posthorn queue retry: exit $r in $(calc "$(now) - $T0" 2) s: $(head -c 200 "$WORK/retry.out" | tr '\n' ' ')" | tee -a "$SUMMARY"
	T_SUB=$T0
	wait_delivered "$(result_field ok)"
	c1=$(cpu_ticks_of "$DPID")
	[ "$STALLED" = yes ] && capture_evidence queue-drain
	sleep 2
	{
		echo "posthornd log, outbound results, whole log (fill included): $(outbound_statuses)"
		echo "drain: $CNT_END of $TARGET at the sink in $(calc "$T_END - $T0" 2) s = $(calc "$CNT_END / ($T_END - $T0)") msgs/s; 2 s later $(sink_count); posthornd CPU $(calc "($c1 - $c0) / $hz" 2) s"
		echo "sink count per second: $(awk '{ printf "%s%d", (NR > 1 ? " " : ""), $2 }' "$WORK/timeline.txt")"
		echo "posthorn queue list after: $(queue_entries) entries; data.mdb $(stat -c %s "$mdb") bytes; VmRSS $(status_kib "$DPID" VmRSS) KiB (anon $(status_kib "$DPID" RssAnon), file $(status_kib "$DPID" RssFile)), VmHWM $(status_kib "$DPID" VmHWM) KiB"
		echo "machine busy with other work before the drain: ${BG}%; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo
	} | tee -a "$SUMMARY"
	stop_all
}

# ---- main -----------------------------------------------------------------------
{
	echo "## outbound benchmark run"
	machine_lines
	echo "smtp-sink: $(dpkg-query -W -f '${Package} ${Version}' postfix 2>/dev/null || echo unknown); nsd: $(nsd -v 2>&1 | head -1)"
	echo "command: bench/outbound_bench.sh $*"
	echo
} | tee -a "$SUMMARY"
for run in $RUNS; do
	case $run in
	relay-nodkim) run_relay relay-nodkim no ;;
	relay) run_relay relay yes ;;
	mx) run_mx ;;
	queue) run_queue ;;
	*) die "unknown run $run" ;;
	esac
done
