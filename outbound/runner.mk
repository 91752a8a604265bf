# outbound/runner.mk: the scheduler and delivery threads (outbound.c, delivery.c).
outbound_liboutbound_a_SOURCES += outbound/outbound.c outbound/outbound_internal.h outbound/delivery.c \
	outbound/dest_cache.h outbound/dest_cache.c

check_PROGRAMS += tests/unit/check_dest_cache
TESTS += tests/unit/check_dest_cache
tests_unit_check_dest_cache_SOURCES = tests/unit/check_dest_cache.c
tests_unit_check_dest_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_unit_check_dest_cache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dest_cache_LDADD = $(OUTBOUND_TEST_LIBS) $(CHECK_LIBS)
