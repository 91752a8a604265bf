# outbound/dsn.mk: DSN generation (dsn.c) and the retry schedule (retry.c), their tests.
outbound_liboutbound_a_SOURCES += outbound/dsn.h outbound/dsn.c outbound/retry.h outbound/retry.c
