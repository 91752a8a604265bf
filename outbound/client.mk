# outbound/client.mk: the SMTP client (smtp_client*.c) and its unit test,
# which drives it against an in-process scripted server (fake_smtpd.c).
outbound_liboutbound_a_SOURCES += outbound/smtp_client.h outbound/smtp_client_int.h \
	outbound/smtp_client.c outbound/smtp_client_send.c outbound/smtp_client_auth.c \
	outbound/smtp_client_io.c outbound/smtp_client_tls.c

check_PROGRAMS += tests/unit/check_smtp_client
TESTS += tests/unit/check_smtp_client
tests_unit_check_smtp_client_SOURCES = tests/unit/check_smtp_client.c \
	tests/unit/fake_smtpd.c tests/unit/fake_smtpd.h
tests_unit_check_smtp_client_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound
tests_unit_check_smtp_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_smtp_client_LDADD = $(OUTBOUND_TEST_LIBS) $(CHECK_LIBS)
