# outbound/dns.mk: stub resolver and routing (dns.c, route.c), their tests.
outbound_liboutbound_a_SOURCES += outbound/dns.h outbound/dns.c outbound/route.h outbound/route.c
