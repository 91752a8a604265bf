# outbound/tests.mk: integration tests of outbound delivery (real DNS server, sinks).
# outbound_env.py: nsd on loopback with a test zone, programmable SMTP sinks,
# the shared base class of the test_outbound*.py files.
EXTRA_DIST += tests/integration/outbound_env.py
TESTS += tests/integration/test_outbound.py
EXTRA_DIST += tests/integration/test_outbound.py
TESTS += tests/integration/test_outbound_failures.py
EXTRA_DIST += tests/integration/test_outbound_failures.py
TESTS += tests/integration/test_outbound_smtp.py
EXTRA_DIST += tests/integration/test_outbound_smtp.py
TESTS += tests/integration/test_outbound_relay.py
EXTRA_DIST += tests/integration/test_outbound_relay.py
TESTS += tests/integration/test_outbound_dkim.py
EXTRA_DIST += tests/integration/test_outbound_dkim.py
TESTS += tests/integration/test_outbound_shutdown.py
EXTRA_DIST += tests/integration/test_outbound_shutdown.py
