# outbound/client.mk: the SMTP client (smtp_client.c) and its tests.
outbound_liboutbound_a_SOURCES += outbound/smtp_client.h outbound/smtp_client.c
