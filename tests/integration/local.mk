# Integration tests: Python scripts driving a real posthornd with real clients.
# Each front-end's local.mk adds its own tests/integration/test_*.py to TESTS.
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = $(PYTHON3)
AM_PY_LOG_FLAGS = -B
AM_TESTS_ENVIRONMENT = POSTHORN_BUILDDIR='$(abs_top_builddir)'; export POSTHORN_BUILDDIR; \
	PYTHONDONTWRITEBYTECODE=1; export PYTHONDONTWRITEBYTECODE;
EXTRA_DIST += tests/integration/harness.py
TESTS += tests/integration/test_daemon.py
EXTRA_DIST += tests/integration/test_daemon.py
TESTS += tests/integration/test_cli.py
EXTRA_DIST += tests/integration/test_cli.py
TESTS += tests/integration/test_imap_tls.py
EXTRA_DIST += tests/integration/test_imap_tls.py
TESTS += tests/integration/test_imap_searchres.py
EXTRA_DIST += tests/integration/test_imap_searchres.py
TESTS += tests/integration/test_delivery_cache.py
EXTRA_DIST += tests/integration/test_delivery_cache.py
TESTS += tests/integration/test_queue_cli.py
EXTRA_DIST += tests/integration/test_queue_cli.py
