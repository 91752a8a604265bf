# dkim/local.mk: DKIM signing and verification (libdkim.a: depends on
# common/ and OpenSSL/libsodium only), its unit test and fuzz target.
noinst_LIBRARIES += dkim/libdkim.a
dkim_libdkim_a_SOURCES = dkim/dkim.h dkim/dkim_internal.h \
	dkim/dkim_canon.c dkim/dkim_key.c dkim/dkim_msg.c \
	dkim/dkim_sign.c dkim/dkim_verify.c dkim/dkim_keyring.c

DKIM_TEST_LIBS = dkim/libdkim.a common/libcommon.a $(DEPS_LIBS)

check_PROGRAMS += tests/unit/check_dkim
TESTS += tests/unit/check_dkim
tests_unit_check_dkim_SOURCES = tests/unit/check_dkim.c
tests_unit_check_dkim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dkim
tests_unit_check_dkim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dkim_LDADD = $(DKIM_TEST_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_dkim_keyring
TESTS += tests/unit/check_dkim_keyring
tests_unit_check_dkim_keyring_SOURCES = tests/unit/check_dkim_keyring.c
tests_unit_check_dkim_keyring_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dkim
tests_unit_check_dkim_keyring_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dkim_keyring_LDADD = $(DKIM_TEST_LIBS) $(CHECK_LIBS)

TESTS += tests/integration/test_dkim_cli.py
EXTRA_DIST += tests/integration/test_dkim_cli.py

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dkim_verify
tests_fuzz_fuzz_dkim_verify_SOURCES = tests/fuzz/fuzz_dkim_verify.c
tests_fuzz_fuzz_dkim_verify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dkim
tests_fuzz_fuzz_dkim_verify_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_dkim_verify_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_dkim_verify_LDADD = $(DKIM_TEST_LIBS)
endif
