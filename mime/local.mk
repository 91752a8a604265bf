# mime/local.mk: the RFC 5322/MIME library for IMAP FETCH and SEARCH
# (libmime.a: depends on common/ only), its unit tests and fuzz target.
noinst_LIBRARIES += mime/libmime.a
mime_libmime_a_SOURCES = mime/mime.h mime/mime_internal.h \
	mime/mime_address.c mime/mime_bodystructure.c mime/mime_cache.c \
	mime/mime_charset.c mime/mime_date.c mime/mime_decode.c \
	mime/mime_envelope.c mime/mime_fold.c mime/mime_header.c \
	mime/mime_imapstr.c mime/mime_lex.c mime/mime_param.c \
	mime/mime_parse.c mime/mime_search.c mime/mime_section.c

MIME_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/mime \
	-DMIME_CORPUS_DIR='"$(top_srcdir)/tests/unit/mime_corpus"'
MIME_TEST_LIBS = mime/libmime.a common/libcommon.a $(DEPS_LIBS)

check_PROGRAMS += tests/unit/check_mime
TESTS += tests/unit/check_mime
tests_unit_check_mime_SOURCES = tests/unit/check_mime.c \
	tests/unit/check_mime_util.c tests/unit/check_mime_util.h \
	tests/unit/check_mime_parse.c tests/unit/check_mime_render.c \
	tests/unit/check_mime_section.c tests/unit/check_mime_decode.c \
	tests/unit/check_mime_search.c tests/unit/check_mime_cache.c \
	tests/unit/check_mime_corpus.c
tests_unit_check_mime_CPPFLAGS = $(MIME_TEST_CPPFLAGS)
tests_unit_check_mime_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_mime_LDADD = $(MIME_TEST_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/unit/mime_corpus

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_mime
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz_mime.c
tests_fuzz_fuzz_mime_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/mime
tests_fuzz_fuzz_mime_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_LDADD = $(MIME_TEST_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz_mime_charset
tests_fuzz_fuzz_mime_charset_SOURCES = tests/fuzz/fuzz_mime_charset.c
tests_fuzz_fuzz_mime_charset_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/mime
tests_fuzz_fuzz_mime_charset_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_charset_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_charset_LDADD = $(MIME_TEST_LIBS)
endif
