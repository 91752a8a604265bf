# libFuzzer targets (./configure --enable-fuzzing CC=clang). Each front-end
# adds its own fuzz_*.c in its local.mk; scripts/test.sh runs them briefly.
FUZZ_FLAGS = -fsanitize=fuzzer
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_config_LDADD = common/libcommon.a $(DEPS_LIBS)
endif
EXTRA_DIST += tests/fuzz/corpus
