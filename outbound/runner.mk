# outbound/runner.mk: the scheduler and delivery threads (outbound.c, delivery.c).
outbound_liboutbound_a_SOURCES += outbound/outbound.c
