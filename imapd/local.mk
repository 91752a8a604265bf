# imapd/local.mk: the IMAP front-end library (RFC 3501 / RFC 9051), its
# unit tests, integration tests and fuzz target. imap-core's files first;
# the FETCH/STORE/SEARCH/COPY files follow in their own block.
noinst_LIBRARIES += imapd/libimapd.a
imapd_libimapd_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/mime -I$(top_srcdir)/auth
imapd_libimapd_a_SOURCES = imapd/imapd.h imapd/imap.h imapd/imap_core.h \
	imapd/imap_parser.c imapd/imap_parser.h \
	imapd/imap_arg.c \
	imapd/imap_utf7.c \
	imapd/imap_session.c \
	imapd/imap_reply.c \
	imapd/imap_commands.c \
	imapd/imap_capability.c \
	imapd/imap_auth.c \
	imapd/imap_mailbox.c \
	imapd/imap_mailbox_cmds.c \
	imapd/imap_list.c \
	imapd/imap_status.c \
	imapd/imap_select.c \
	imapd/imap_append.c \
	imapd/imap_idle.c \
	imapd/imap_sync.c
# imap-fetch: sequence sets, FETCH, STORE, SEARCH, COPY/MOVE
imapd_libimapd_a_SOURCES += imapd/imap_seqset.c imapd/imap_seqset.h \
	imapd/imap_msgset.c imapd/imap_msgset.h \
	imapd/imap_fetch.h imapd/imap_fetch_parse.c imapd/imap_fetch_body.c \
	imapd/imap_fetch_output.c imapd/cmd_fetch.c \
	imapd/cmd_store.c \
	imapd/imap_search.h imapd/imap_search_parse.c imapd/imap_search_eval.c \
	imapd/imap_search_date.c imapd/cmd_search.c \
	imapd/cmd_copy.c

IMAPD_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/imapd -I$(top_srcdir)/mime
IMAPD_UNIT_LIBS = imapd/libimapd.a mime/libmime.a auth/libauth.a store/libstore.a $(UNIT_COMMON_LIBS)

# The command parser (every split point, literals, limits), mUTF-7, names.
check_PROGRAMS += tests/unit/check_imap_parser
TESTS += tests/unit/check_imap_parser
tests_unit_check_imap_parser_SOURCES = tests/unit/check_imap_parser.c
tests_unit_check_imap_parser_CPPFLAGS = $(IMAPD_UNIT_CPPFLAGS)
tests_unit_check_imap_parser_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_imap_parser_LDADD = $(IMAPD_UNIT_LIBS)

TESTS += tests/integration/test_imap_core.py tests/integration/test_imap_core_replay.py
EXTRA_DIST += tests/integration/test_imap_core.py tests/integration/test_imap_core_replay.py

if ENABLE_FUZZING
# libFuzzer target for the command parser with literals (seeds in
# tests/fuzz/corpus/fuzz_imap_parser/).
noinst_PROGRAMS += tests/fuzz/fuzz_imap_parser
tests_fuzz_fuzz_imap_parser_SOURCES = tests/fuzz/fuzz_imap_parser.c
tests_fuzz_fuzz_imap_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/imapd
tests_fuzz_fuzz_imap_parser_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_parser_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_parser_LDADD = imapd/libimapd.a mime/libmime.a auth/libauth.a store/libstore.a common/libcommon.a $(DEPS_LIBS)
endif

# imap-fetch: unit tests (sequence sets, SEARCH programs on decoded text,
# FETCH items and sections) and integration tests (imaplib, real clients).
check_PROGRAMS += tests/unit/check_imap_seqset tests/unit/check_imap_search \
	tests/unit/check_imap_fetch
TESTS += tests/unit/check_imap_seqset tests/unit/check_imap_search \
	tests/unit/check_imap_fetch
tests_unit_check_imap_seqset_SOURCES = tests/unit/check_imap_seqset.c
tests_unit_check_imap_seqset_CPPFLAGS = $(IMAPD_UNIT_CPPFLAGS)
tests_unit_check_imap_seqset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_imap_seqset_LDADD = $(IMAPD_UNIT_LIBS)
tests_unit_check_imap_search_SOURCES = tests/unit/check_imap_search.c
tests_unit_check_imap_search_CPPFLAGS = $(IMAPD_UNIT_CPPFLAGS)
tests_unit_check_imap_search_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_imap_search_LDADD = $(IMAPD_UNIT_LIBS)
tests_unit_check_imap_fetch_SOURCES = tests/unit/check_imap_fetch.c
tests_unit_check_imap_fetch_CPPFLAGS = $(IMAPD_UNIT_CPPFLAGS)
tests_unit_check_imap_fetch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_imap_fetch_LDADD = $(IMAPD_UNIT_LIBS)
TESTS += tests/integration/test_imap_fetch.py tests/integration/test_imap_clients.py
EXTRA_DIST += tests/integration/test_imap_fetch.py tests/integration/test_imap_clients.py
if ENABLE_FUZZING
# libFuzzer target for SEARCH programs, FETCH items and sequence sets
# (seeds in tests/fuzz/corpus/fuzz_imap_search/).
noinst_PROGRAMS += tests/fuzz/fuzz_imap_search
tests_fuzz_fuzz_imap_search_SOURCES = tests/fuzz/fuzz_imap_search.c
tests_fuzz_fuzz_imap_search_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/imapd -I$(top_srcdir)/mime
tests_fuzz_fuzz_imap_search_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_search_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_search_LDADD = imapd/libimapd.a mime/libmime.a store/libstore.a common/libcommon.a $(DEPS_LIBS)
endif
