# auth/local.mk: authentication shared by SMTP, POP3 and IMAP (libauth.a):
# SASL PLAIN/LOGIN, brute-force throttle, credentials cache, verification.
noinst_LIBRARIES += auth/libauth.a
auth_libauth_a_SOURCES = auth/auth.h \
	auth/auth_sasl.c \
	auth/auth_table.c auth/auth_table.h \
	auth/auth_throttle.c \
	auth/auth_cache.c \
	auth/auth_verify.c
auth_libauth_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth

check_PROGRAMS += tests/unit/check_auth
TESTS += tests/unit/check_auth
tests_unit_check_auth_SOURCES = tests/unit/check_auth.c
tests_unit_check_auth_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth
tests_unit_check_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_auth_LDADD = auth/libauth.a store/libstore.a $(UNIT_COMMON_LIBS)

if ENABLE_FUZZING
# libFuzzer target for the SASL decoders (seeds in tests/fuzz/corpus/fuzz_auth_sasl/).
noinst_PROGRAMS += tests/fuzz/fuzz_auth_sasl
tests_fuzz_fuzz_auth_sasl_SOURCES = tests/fuzz/fuzz_auth_sasl.c
tests_fuzz_fuzz_auth_sasl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth
tests_fuzz_fuzz_auth_sasl_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_auth_sasl_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_auth_sasl_LDADD = auth/libauth.a store/libstore.a common/libcommon.a $(DEPS_LIBS)
endif
