# Unit tests of common/ (each front-end and store/ register their own in their local.mk).
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_COMMON_LIBS = common/libcommon.a $(DEPS_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_config tests/unit/check_linereader tests/unit/check_util
TESTS += tests/unit/check_config tests/unit/check_linereader tests/unit/check_util

tests_unit_check_config_SOURCES = tests/unit/check_config.c
tests_unit_check_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_config_LDADD = $(UNIT_COMMON_LIBS)

tests_unit_check_linereader_SOURCES = tests/unit/check_linereader.c
tests_unit_check_linereader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_linereader_LDADD = $(UNIT_COMMON_LIBS)

tests_unit_check_util_SOURCES = tests/unit/check_util.c
tests_unit_check_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_util_LDADD = $(UNIT_COMMON_LIBS)
