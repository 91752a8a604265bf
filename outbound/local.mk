# outbound/local.mk: the outbound queue runner, SMTP client, DNS resolver,
# routing, retry schedule and DSNs (liboutbound.a). Each part registers
# its sources and tests in its own fragment.
noinst_LIBRARIES += outbound/liboutbound.a
outbound_liboutbound_a_SOURCES = outbound/outbound.h
outbound_liboutbound_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dkim -I$(top_srcdir)/mime -I$(top_srcdir)/outbound
OUTBOUND_TEST_LIBS = outbound/liboutbound.a dkim/libdkim.a mime/libmime.a store/libstore.a common/libcommon.a $(DEPS_LIBS)

include $(srcdir)/outbound/dns.mk
include $(srcdir)/outbound/client.mk
include $(srcdir)/outbound/dsn.mk
include $(srcdir)/outbound/runner.mk
include $(srcdir)/outbound/tests.mk
