#!/bin/bash
# test.sh: run Posthorn's whole test suite on Debian 12, as CI does
# (.ci/run calls it). Works as root with no stdin, in a fresh clone.
#
#   1. install every package the suite needs (apt-get, only when missing)
#   2. build-test/:  ./configure --enable-werror; make check
#   3. build-asan/:  ./configure --enable-sanitizers --enable-werror CC=clang;
#                    make check (ASan + UBSan on the same suite)
#   4. build-test/:  make distcheck (the tarball builds and passes alone)
#   5. build-fuzz/:  ./configure --enable-fuzzing CC=clang; each
#                    tests/fuzz/fuzz_* runs for FUZZ_SECONDS (default 12),
#                    seeded from tests/fuzz/corpus/<name>/ when it exists
#
# Every build is out of tree (VPATH), so the source tree stays clean and
# the builds cannot collide. On a failure the test-suite.log is printed; the
# script goes on with the next stage (unless nothing compiled) and exits
# non-zero at the end. Environment: FUZZ_SECONDS, JOBS (default 2),
# SKIP_ASAN=1, SKIP_DISTCHECK=1, SKIP_FUZZ=1 for quicker local runs.
set -uo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-12}
export DEBIAN_FRONTEND=noninteractive

# Everything `make check`, the sanitizer build and the fuzzers use.
PACKAGES="build-essential autoconf automake libtool pkg-config
liblmdb-dev libsodium-dev libssl-dev libevent-dev check python3
clang libclang-rt-14-dev swaks curl fetchmail isync valgrind lmdb-utils
procps iproute2 ca-certificates openssl testssl.sh python3-dkim mutt bsdutils nsd"

FAILED=()
PASSED_TOTAL=0
FAILED_TOTAL=0
SKIPPED_TOTAL=0
T0=$(date +%s)

say() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
fail() { FAILED+=("$1"); printf '\n*** FAILED: %s\n' "$1"; }

install_packages() {
	local missing=() p
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all packages present"
		return 0
	fi
	local sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	echo "installing: ${missing[*]}"
	$sudo apt-get update -q &&
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# Print the test-suite.log files given (those that exist).
show_test_logs() {
	local log
	for log in "$@"; do
		[ -f "$log" ] || continue
		echo "----- $log -----"
		cat "$log"
	done
}

# Add the counts of the automake summary in $1/test-suite.log.
count_tests() {
	local log=$1/test-suite.log n
	[ -f "$log" ] || return 0
	n=$(sed -n 's/^# PASS: *\([0-9]*\)/\1/p' "$log" | head -1)
	PASSED_TOTAL=$((PASSED_TOTAL + ${n:-0}))
	n=$(sed -n 's/^# SKIP: *\([0-9]*\)/\1/p' "$log" | head -1)
	SKIPPED_TOTAL=$((SKIPPED_TOTAL + ${n:-0}))
	for k in FAIL XPASS ERROR; do
		n=$(sed -n "s/^# $k: *\([0-9]*\)/\1/p" "$log" | head -1)
		FAILED_TOTAL=$((FAILED_TOTAL + ${n:-0}))
	done
}

# configure_build DIR CONFIGURE-ARGS...: (re)configure DIR when its flags changed.
configure_build() {
	local dir=$1; shift
	mkdir -p "$dir"
	if [ -f "$dir/config.status" ] && [ "$(cat "$dir/.configure-args" 2>/dev/null)" = "$*" ]; then
		return 0
	fi
	(cd "$dir" && "$SRC/configure" --quiet "$@" </dev/null) &&
		printf '%s' "$*" >"$dir/.configure-args"
}

# check_build NAME DIR: make and make check in DIR.
check_build() {
	local name=$1 dir=$2
	say "$name: make -j$JOBS"
	if ! make -C "$dir" -j"$JOBS" </dev/null; then
		fail "$name: build"
		return 2
	fi
	say "$name: make -j$JOBS check"
	rm -f "$dir/test-suite.log"
	if ! timeout --kill-after=30 25m make -C "$dir" -j"$JOBS" check </dev/null; then
		fail "$name: make check"
		show_test_logs "$dir/test-suite.log"
	fi
	count_tests "$dir"
	return 0
}

run_fuzzers() {
	local dir=$SRC/build-fuzz f name corpus work rc targets
	say "fuzz: build"
	if ! configure_build "$dir" --enable-fuzzing CC=clang; then
		fail "fuzz: configure"
		return
	fi
	# Only the fuzz targets (and the libraries they need), not the daemon.
	targets=$(grep -o 'tests/fuzz/fuzz_[a-z0-9_]*\$(EXEEXT)' "$dir/Makefile" |
		sed 's/\$(EXEEXT)$//' | sort -u)
	if [ -z "$targets" ]; then
		echo "no fuzz targets in tests/fuzz"
		return
	fi
	# shellcheck disable=SC2086
	if ! make -C "$dir" -j"$JOBS" $targets </dev/null; then
		fail "fuzz: build"
		return
	fi
	mkdir -p "$dir/fuzz-artifacts"
	for f in "$dir"/tests/fuzz/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		case $f in *.o|*.c) continue ;; esac
		name=$(basename "$f")
		work=$(mktemp -d)
		# libFuzzer adds new inputs to its first corpus directory: copy
		# the seeds so the source tree stays untouched.
		for corpus in "$SRC/tests/fuzz/corpus/$name" "$SRC/tests/fuzz/corpus/${name#fuzz_}"; do
			[ -d "$corpus" ] && cp -R "$corpus/." "$work/"
		done
		say "fuzz: $name for ${FUZZ_SECONDS}s ($(ls "$work" | wc -l) seeds)"
		timeout --kill-after=10 $((FUZZ_SECONDS + 120)) "$f" \
			-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 \
			-artifact_prefix="$dir/fuzz-artifacts/$name-" "$work" \
			</dev/null >"$dir/fuzz-artifacts/$name.log" 2>&1
		rc=$?
		grep -E '^(Done [0-9]+ runs|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' \
			"$dir/fuzz-artifacts/$name.log"
		if [ $rc -ne 0 ]; then
			fail "fuzz: $name (exit $rc; log and crash input in $dir/fuzz-artifacts/)"
			sed -n '/ERROR:/,$p' "$dir/fuzz-artifacts/$name.log" | head -n 60
			FAILED_TOTAL=$((FAILED_TOTAL + 1))
		else
			PASSED_TOTAL=$((PASSED_TOTAL + 1))
		fi
		rm -rf "$work"
	done
}

say "packages"
install_packages || fail "package installation"

say "autoreconf"
if [ -f "$SRC/config.status" ]; then
	# An in-place build would make every VPATH configure below refuse.
	echo "source tree was configured in place: make distclean"
	make -C "$SRC" distclean >/dev/null 2>&1 || rm -f "$SRC/config.status"
fi
autoreconf -fi </dev/null || { fail "autoreconf"; exit 1; }

say "build-test: configure --enable-werror"
if configure_build "$SRC/build-test" --enable-werror; then
	check_build "build-test" "$SRC/build-test"
	[ $? -eq 2 ] && { echo "nothing compiled; stopping"; exit 1; }
else
	fail "build-test: configure"
	exit 1
fi

if [ "${SKIP_ASAN:-}" != 1 ]; then
	say "build-asan: configure --enable-sanitizers --enable-werror CC=clang"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	if configure_build "$SRC/build-asan" --enable-sanitizers --enable-werror CC=clang; then
		check_build "build-asan" "$SRC/build-asan"
	else
		fail "build-asan: configure"
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${SKIP_DISTCHECK:-}" != 1 ]; then
	say "distcheck"
	if ! timeout --kill-after=30 30m make -C "$SRC/build-test" -j"$JOBS" distcheck \
	    DISTCHECK_CONFIGURE_FLAGS=--enable-werror </dev/null; then
		fail "make distcheck"
		show_test_logs "$SRC"/build-test/posthorn-*/_build/sub/test-suite.log
	fi
fi

[ "${SKIP_FUZZ:-}" != 1 ] && run_fuzzers

say "done in $(( $(date +%s) - T0 ))s"
# A stage that failed before counting tests (a build) still counts.
[ ${#FAILED[@]} -gt 0 ] && [ "$FAILED_TOTAL" -eq 0 ] && FAILED_TOTAL=${#FAILED[@]}
echo "summary: $PASSED_TOTAL passed, $FAILED_TOTAL failed, $SKIPPED_TOTAL skipped"
if [ ${#FAILED[@]} -gt 0 ]; then
	printf 'FAILED STAGES:\n'
	printf '  %s\n' "${FAILED[@]}"
	exit 1
fi
echo "all stages passed"
