# bench/bench_lib.sh: shell functions shared by the benchmark drivers
# (sourced, not run): building posthornd out of tree, free ports, a
# daemon's CPU time and memory from /proc, how busy the machine is with
# other work, and the machine description that heads every result.
#
# It deliberately holds no benchmark of its own and changes nothing outside
# the build directory: each driver keeps its own setup, loads and report.
# The caller sets SRCDIR, BUILDDIR and CFLAGS_OPT and defines log and die.
# (bench/run.sh predates this file and still has its own copies.)
# shellcheck shell=bash

# bench_build TARGET...: configure BUILDDIR once with CFLAGS_OPT, then make
# the targets; sets POSTHORND and POSTHORN.
bench_build() {
	[ -x "$SRCDIR/configure" ] || die "no $SRCDIR/configure: run autoreconf -fi there first"
	mkdir -p "$BUILDDIR"
	if [ ! -f "$BUILDDIR/Makefile" ]; then
		log "configure in $BUILDDIR (CFLAGS=$CFLAGS_OPT)"
		(cd "$BUILDDIR" && "$SRCDIR/configure" -q CFLAGS="$CFLAGS_OPT") ||
			die "configure failed"
	fi
	log "make $*"
	make -C "$BUILDDIR" -s -j"$(nproc)" "$@" >&2 || die "build failed"
	POSTHORND=$BUILDDIR/posthornd
	POSTHORN=$BUILDDIR/posthorn
}

# free_port [ADDRESS]: a TCP port free on ADDRESS (127.0.0.1) right now.
free_port() {
	python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' \
	    "${1:-127.0.0.1}"
}

# wait_listen HOST PORT PID: until HOST:PORT accepts (10 s), or die if PID exits.
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$3" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# utime+stime of PID in clock ticks (fields 14 and 15, counted after the
# ")" that ends the command name).
cpu_ticks_of() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# busy jiffies of the whole machine (all but idle and iowait)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# status_kib PID FIELD: a "FIELD: N kB" line of /proc/PID/status
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Percent of the machine's CPU busy over 2 s (before a load: other work on
# a shared machine).
background_busy() {
	local b0 b1 hz
	hz=$(getconf CLK_TCK)
	b0=$(busy_ticks)
	sleep 2
	b1=$(busy_ticks)
	echo $(( (b1 - b0) * 100 / (2 * hz * $(nproc)) ))
}

# Sets BG. With BENCH_WAIT_QUIET=1, waits (at most 3 minutes) until other
# work uses under 25% of the machine.
wait_quiet() {
	local i
	BG=$(background_busy)
	if [ "${BENCH_WAIT_QUIET:-}" = 1 ]; then
		for ((i = 0; i < 36 && BG >= 25; i++)); do
			log "machine ${BG}% busy with other work: waiting"
			sleep 3
			BG=$(background_busy)
		done
	fi
}

# machine_lines: what the results were measured on and with.
machine_lines() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr)"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "posthorn commit: $(git -C "$SRCDIR" log -1 --format='%h %s' 2>/dev/null || echo unknown)" \
	    "($(git -C "$SRCDIR" status --porcelain -uno 2>/dev/null | wc -l) tracked files modified," \
	    "$(git -C "$SRCDIR" status --porcelain 2>/dev/null | grep -c '^??') untracked)"
	# the build directory's own flags (it may have been configured by hand)
	echo "CFLAGS: $(sed -n 's/^CFLAGS = //p' "$BUILDDIR/Makefile" 2>/dev/null || echo "$CFLAGS_OPT")"
}
