# smtpd/local.mk: the SMTP server library, its unit tests, integration
# tests and fuzz targets.
noinst_LIBRARIES += smtpd/libsmtpd.a
smtpd_libsmtpd_a_SOURCES = smtpd/smtpd.h \
	smtpd/smtp_session.c smtpd/smtp_session.h \
	smtpd/smtp_commands.c \
	smtpd/smtp_auth.c \
	smtpd/smtp_submit.c \
	smtpd/smtp_reply.c \
	smtpd/smtp_tx.c \
	smtpd/smtp_parse.c smtpd/smtp_parse.h \
	smtpd/smtp_data.c smtpd/smtp_data.h \
	smtpd/smtp_header.c smtpd/smtp_header.h \
	smtpd/smtp_received.c smtpd/smtp_received.h
smtpd_libsmtpd_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth -I$(top_srcdir)/mime

# Unit tests: the pure parts (parser, DATA/BDAT decoder, trace headers);
# sessions are tested over real sockets in tests/integration/test_smtp*.py.
SMTP_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/smtpd
check_PROGRAMS += tests/unit/check_smtp_parse tests/unit/check_smtp_data \
	tests/unit/check_smtp_received tests/unit/check_smtp_header
TESTS += tests/unit/check_smtp_parse tests/unit/check_smtp_data \
	tests/unit/check_smtp_received tests/unit/check_smtp_header
tests_unit_check_smtp_parse_SOURCES = tests/unit/check_smtp_parse.c
tests_unit_check_smtp_parse_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_unit_check_smtp_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_smtp_parse_LDADD = smtpd/libsmtpd.a $(UNIT_COMMON_LIBS)
tests_unit_check_smtp_data_SOURCES = tests/unit/check_smtp_data.c
tests_unit_check_smtp_data_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_unit_check_smtp_data_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_smtp_data_LDADD = smtpd/libsmtpd.a $(UNIT_COMMON_LIBS)
tests_unit_check_smtp_received_SOURCES = tests/unit/check_smtp_received.c
tests_unit_check_smtp_received_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_unit_check_smtp_received_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_smtp_received_LDADD = smtpd/libsmtpd.a $(UNIT_COMMON_LIBS)
tests_unit_check_smtp_header_SOURCES = tests/unit/check_smtp_header.c
tests_unit_check_smtp_header_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_unit_check_smtp_header_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_smtp_header_LDADD = smtpd/libsmtpd.a $(UNIT_COMMON_LIBS)

# Integration tests against a real posthornd (tests/integration/harness.py).
SMTP_INTEGRATION_TESTS = tests/integration/test_smtp.py \
	tests/integration/test_smtp_clients.py \
	tests/integration/test_smtp_load.py \
	tests/integration/test_smtp_badinput.py \
	tests/integration/test_smtp_tls.py \
	tests/integration/test_submission.py
TESTS += $(SMTP_INTEGRATION_TESTS)
EXTRA_DIST += $(SMTP_INTEGRATION_TESTS)

if ENABLE_FUZZING
# libFuzzer targets for the command parser, the DATA/BDAT decoder and the
# header reader of submission (seeds in tests/fuzz/corpus/fuzz_smtp_*/);
# FUZZ_FLAGS is set in tests/fuzz/local.mk.
noinst_PROGRAMS += tests/fuzz/fuzz_smtp_parse tests/fuzz/fuzz_smtp_data
tests_fuzz_fuzz_smtp_parse_SOURCES = tests/fuzz/fuzz_smtp_parse.c
tests_fuzz_fuzz_smtp_parse_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_fuzz_fuzz_smtp_parse_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_parse_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_parse_LDADD = smtpd/libsmtpd.a common/libcommon.a $(DEPS_LIBS)
tests_fuzz_fuzz_smtp_data_SOURCES = tests/fuzz/fuzz_smtp_data.c
tests_fuzz_fuzz_smtp_data_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_fuzz_fuzz_smtp_data_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_LDADD = smtpd/libsmtpd.a common/libcommon.a $(DEPS_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz_smtp_header
tests_fuzz_fuzz_smtp_header_SOURCES = tests/fuzz/fuzz_smtp_header.c
tests_fuzz_fuzz_smtp_header_CPPFLAGS = $(SMTP_UNIT_CPPFLAGS)
tests_fuzz_fuzz_smtp_header_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_header_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_header_LDADD = smtpd/libsmtpd.a common/libcommon.a $(DEPS_LIBS)
endif
