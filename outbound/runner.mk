# outbound/runner.mk: the scheduler and delivery threads (outbound.c, delivery.c).
outbound_liboutbound_a_SOURCES += outbound/outbound.c outbound/outbound_internal.h outbound/delivery.c
