# bench/local.mk: load generators for the benchmarks (bench/RESULTS.md).
# Not tests: never in TESTS. smtp_bench and pop3_bench link only libc and
# pthreads, so they build and run against any SMTP/POP3 server; bench/run.sh
# (Posthorn) and bench/postfix.sh (Postfix + Dovecot) drive them;
# bench/outbound_bench.sh drives smtp_bench (-a: AUTH PLAIN on submission)
# against the outbound queue and Postfix's smtp-sink.
# tls_bench and imap_bench are compiled by their own scripts (cc).
noinst_PROGRAMS += bench/smtp_bench bench/pop3_bench
bench_smtp_bench_SOURCES = bench/smtp_bench.c
bench_pop3_bench_SOURCES = bench/pop3_bench.c
EXTRA_DIST += bench/run.sh bench/postfix.sh bench/RESULTS.md \
	bench/tls_bench.c bench/tls_bench.sh bench/imap_bench.c bench/imap_bench.sh \
	bench/bench_lib.sh bench/outbound_bench.sh
