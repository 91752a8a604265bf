#!/bin/bash
# demo.sh: from a fresh Debian 12 clone to a running Posthorn in one command.
#
# Installs the build dependencies (apt-get, when missing), builds in ./build,
# creates ./demo/ (config, store, a self-signed certificate for localhost,
# domain example.test, user demo@example.test with a random password) and
# runs posthornd in the foreground on loopback high ports, after printing how
# to send a message and read it. Rerunning it reuses ./demo/ and the same
# password. Stop the daemon with Ctrl-C.
#
#   scripts/demo.sh               build, set up, run
#   scripts/demo.sh --setup-only  build and set up, do not run
#
# Ports on 127.0.0.1: SMTP 2525, submission 2587 (STARTTLS) and 2465 (TLS),
# POP3 2110 (STLS) and 2995 (TLS), IMAP 2143 (STARTTLS) and 2993 (TLS)
# (override with DEMO_SMTP_PORT, DEMO_POP3_PORT, ... before the first run).
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=$SRC/build
DEMO=$SRC/demo
SMTP_PORT=${DEMO_SMTP_PORT:-2525}
POP3_PORT=${DEMO_POP3_PORT:-2110}
POP3S_PORT=${DEMO_POP3S_PORT:-2995}
IMAP_PORT=${DEMO_IMAP_PORT:-2143}
IMAPS_PORT=${DEMO_IMAPS_PORT:-2993}
SUBMISSION_PORT=${DEMO_SUBMISSION_PORT:-2587}
SUBMISSIONS_PORT=${DEMO_SUBMISSIONS_PORT:-2465}
DOMAIN=example.test
USER_ADDR=demo@$DOMAIN
RUN=yes
[ "${1:-}" = "--setup-only" ] && RUN=no

BUILD_DEPS="build-essential autoconf automake libtool pkg-config liblmdb-dev
libsodium-dev libssl-dev libevent-dev check python3"

say() { printf '\n==> %s\n' "$*"; }

install_deps() {
	local missing=() p
	for p in $BUILD_DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing build dependencies: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}

build() {
	say "building in $BUILD"
	# A build configured in the source tree would block the VPATH builds
	# that scripts/test.sh and make distcheck use.
	if [ -f "$SRC/config.status" ]; then
		echo "the source tree was configured in place; cleaning it (make distclean)"
		make -C "$SRC" distclean >/dev/null || rm -f "$SRC/config.status"
	fi
	if [ ! -x "$SRC/configure" ] || [ "$SRC/configure.ac" -nt "$SRC/configure" ]; then
		autoreconf -fi
	fi
	mkdir -p "$BUILD"
	cd "$BUILD"
	[ -f Makefile ] || "$SRC/configure" --quiet
	make -j"$(nproc 2>/dev/null || echo 2)" posthornd posthorn
	cd "$SRC"
}

setup_demo() {
	mkdir -p "$DEMO/data"
	if [ ! -f "$DEMO/posthorn.conf" ]; then
		say "creating $DEMO/posthorn.conf"
		cat >"$DEMO/posthorn.conf" <<EOF
# Demo configuration written by scripts/demo.sh (loopback only).
# The full list of keys is in etc/posthorn.conf.
hostname    = localhost
data_dir    = $DEMO/data
listen_smtp = 127.0.0.1:$SMTP_PORT
listen_pop3 = 127.0.0.1:$POP3_PORT
log_level   = info
EOF
	fi
	# TLS (added to a demo config from before TLS too): a self-signed
	# certificate for localhost made by posthorn cert selfsigned.
	if ! grep -q '^tls_cert' "$DEMO/posthorn.conf"; then
		cat >>"$DEMO/posthorn.conf" <<EOF
tls_cert    = $DEMO/cert.pem
tls_key     = $DEMO/key.pem
listen_pop3s       = 127.0.0.1:$POP3S_PORT
listen_imap        = 127.0.0.1:$IMAP_PORT
listen_imaps       = 127.0.0.1:$IMAPS_PORT
listen_submission  = 127.0.0.1:$SUBMISSION_PORT
listen_submissions = 127.0.0.1:$SUBMISSIONS_PORT
EOF
	fi
	PH=("$BUILD/posthorn" -c "$DEMO/posthorn.conf")
	if [ ! -s "$DEMO/cert.pem" ] || [ ! -s "$DEMO/key.pem" ]; then
		say "creating a self-signed certificate for localhost"
		rm -f "$DEMO/cert.pem" "$DEMO/key.pem"
		"${PH[@]}" cert selfsigned localhost
	fi
	"${PH[@]}" check >/dev/null
	if ! "${PH[@]}" domain list | grep -qx "$DOMAIN"; then
		"${PH[@]}" domain add "$DOMAIN"
	fi
	if [ ! -s "$DEMO/password" ]; then
		(umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(12))' >"$DEMO/password")
	fi
	PASSWORD=$(cat "$DEMO/password")
	if "${PH[@]}" user list | grep -qx "$USER_ADDR"; then
		# Keep the stored password and the printed one the same.
		printf '%s\n' "$PASSWORD" | "${PH[@]}" user passwd "$USER_ADDR"
	else
		printf '%s\n' "$PASSWORD" | "${PH[@]}" user add "$USER_ADDR"
	fi
}

print_howto() {
	# \r\n stay literal in this heredoc: they are for printf and python.
	cat <<EOF

==> Posthorn demo
    config:   $DEMO/posthorn.conf
    SMTP:     127.0.0.1:$SMTP_PORT   submission: $SUBMISSION_PORT (STARTTLS), $SUBMISSIONS_PORT (TLS)
    POP3:     127.0.0.1:$POP3_PORT   (STLS)      POP3S: $POP3S_PORT
    IMAP:     127.0.0.1:$IMAP_PORT   (STARTTLS)  IMAPS: $IMAPS_PORT
    TLS:      a self-signed certificate for "localhost", $DEMO/cert.pem:
              clients must trust that file (curl --cacert) or they refuse it
    user:     $USER_ADDR
    password: $PASSWORD

Send a message (in another terminal), with any of:
    swaks --server 127.0.0.1:$SMTP_PORT --from you@example.org --to $USER_ADDR

    printf 'From: you@example.org\r\nTo: $USER_ADDR\r\nSubject: hello\r\n\r\nHello, Posthorn!\r\n' |
      curl -s smtp://127.0.0.1:$SMTP_PORT --mail-from you@example.org --mail-rcpt $USER_ADDR -T -

    python3 -c 'import smtplib; smtplib.SMTP("127.0.0.1", $SMTP_PORT).sendmail("you@example.org", ["$USER_ADDR"], "Subject: hello\r\n\r\nHello, Posthorn!\r\n")'

Read it:
    curl -s pop3://127.0.0.1:$POP3_PORT/ -u '$USER_ADDR:$PASSWORD'      # list
    curl -s pop3://127.0.0.1:$POP3_PORT/1 -u '$USER_ADDR:$PASSWORD'     # message 1
    curl -s --cacert $DEMO/cert.pem pop3s://localhost:$POP3S_PORT/1 -u '$USER_ADDR:$PASSWORD'
    openssl s_client -connect 127.0.0.1:$POP3S_PORT -brief </dev/null    # the TLS handshake

    python3 -c 'import poplib; p = poplib.POP3("127.0.0.1", $POP3_PORT); p.user("$USER_ADDR"); p.pass_("$PASSWORD"); n = len(p.list()[1]); print(n, "messages"); n and print(b"\n".join(p.retr(n)[1]).decode()); p.quit()'

Administer it:
    $BUILD/posthorn -c $DEMO/posthorn.conf mailbox list $USER_ADDR
    $BUILD/posthorn -c $DEMO/posthorn.conf help

EOF
}

install_deps
build
setup_demo
print_howto
if [ "$RUN" = yes ]; then
	say "starting posthornd in the foreground (Ctrl-C stops it)"
	exec "$BUILD/posthornd" -c "$DEMO/posthorn.conf"
fi
