# outbound/dns.mk: stub resolver and routing (dns.c transport, dns_conf.c
# server choice, dns_wire.c message format, route.c MX routing), their
# unit tests and fuzz target.
outbound_liboutbound_a_SOURCES += outbound/dns.h outbound/dns_internal.h \
	outbound/dns.c outbound/dns_conf.c outbound/dns_wire.c \
	outbound/route.h outbound/route.c

check_PROGRAMS += tests/unit/check_dns tests/unit/check_route
TESTS += tests/unit/check_dns tests/unit/check_route
tests_unit_check_dns_SOURCES = tests/unit/check_dns.c tests/unit/fake_dns.c \
	tests/unit/fake_dns.h
tests_unit_check_dns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_unit_check_dns_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dns_LDADD = $(OUTBOUND_TEST_LIBS) $(CHECK_LIBS)
tests_unit_check_route_SOURCES = tests/unit/check_route.c tests/unit/fake_dns.c \
	tests/unit/fake_dns.h
tests_unit_check_route_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_unit_check_route_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_route_LDADD = $(OUTBOUND_TEST_LIBS) $(CHECK_LIBS)

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dns
tests_fuzz_fuzz_dns_SOURCES = tests/fuzz/fuzz_dns.c
tests_fuzz_fuzz_dns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_fuzz_fuzz_dns_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_dns_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_dns_LDADD = outbound/liboutbound.a common/libcommon.a $(DEPS_LIBS)
endif
