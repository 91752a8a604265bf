# outbound/dsn.mk: DSN generation (dsn.c) and the retry schedule (retry.c), their tests.
outbound_liboutbound_a_SOURCES += outbound/dsn.h outbound/dsn.c outbound/retry.h outbound/retry.c

# check_dsn parses the DSN back with mime/ (test-only dependency).
check_PROGRAMS += tests/unit/check_dsn tests/unit/check_retry
TESTS += tests/unit/check_dsn tests/unit/check_retry
tests_unit_check_dsn_SOURCES = tests/unit/check_dsn.c
tests_unit_check_dsn_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound -I$(top_srcdir)/mime
tests_unit_check_dsn_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dsn_LDADD = $(OUTBOUND_TEST_LIBS) mime/libmime.a common/libcommon.a $(DEPS_LIBS) $(CHECK_LIBS)
tests_unit_check_retry_SOURCES = tests/unit/check_retry.c
tests_unit_check_retry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_unit_check_retry_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_retry_LDADD = $(OUTBOUND_TEST_LIBS) $(CHECK_LIBS)
