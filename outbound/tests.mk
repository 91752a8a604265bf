# outbound/tests.mk: integration tests of outbound delivery (real DNS server, sinks).
# outbound_env.py: nsd on loopback with a test zone, programmable SMTP sinks.
EXTRA_DIST += tests/integration/outbound_env.py
