# pop3d/local.mk: the POP3 front-end library, its unit tests, integration
# tests and fuzz target.
noinst_LIBRARIES += pop3d/libpop3d.a
pop3d_libpop3d_a_SOURCES = pop3d/pop3d.h \
	pop3d/pop3_auth.c \
	pop3d/pop3_commands.c \
	pop3d/pop3_lock.c pop3d/pop3_lock.h \
	pop3d/pop3_maildrop.c pop3d/pop3_maildrop.h \
	pop3d/pop3_output.c pop3d/pop3_output.h \
	pop3d/pop3_parse.c pop3d/pop3_parse.h \
	pop3d/pop3_retr.c \
	pop3d/pop3_session.c pop3d/pop3_session.h \
	pop3d/pop3_update.c
pop3d_libpop3d_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth

# Unit tests: the parser, the byte-stuffer, UIDLs and the lock set (pure
# parts only; sessions are tested over real sockets in test_pop3.py).
check_PROGRAMS += tests/unit/check_pop3
TESTS += tests/unit/check_pop3
tests_unit_check_pop3_SOURCES = tests/unit/check_pop3.c
tests_unit_check_pop3_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/pop3d
tests_unit_check_pop3_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_pop3_LDADD = pop3d/libpop3d.a $(UNIT_COMMON_LIBS)

TESTS += tests/integration/test_pop3.py
EXTRA_DIST += tests/integration/test_pop3.py
# TLS for POP3 (STLS, POP3S), certificates and `posthorn cert`; the
# testssl.sh scan is its own file so it runs in parallel with the rest.
TESTS += tests/integration/test_tls.py tests/integration/test_tls_testssl.py
EXTRA_DIST += tests/integration/test_tls.py tests/integration/test_tls_testssl.py

if ENABLE_FUZZING
# libFuzzer target for the command parser and the byte-stuffer (seeds in
# tests/fuzz/corpus/fuzz_pop3/); FUZZ_FLAGS is set in tests/fuzz/local.mk.
noinst_PROGRAMS += tests/fuzz/fuzz_pop3
tests_fuzz_fuzz_pop3_SOURCES = tests/fuzz/fuzz_pop3.c
tests_fuzz_fuzz_pop3_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/pop3d
tests_fuzz_fuzz_pop3_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pop3_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_pop3_LDADD = pop3d/libpop3d.a common/libcommon.a $(DEPS_LIBS)
endif
