# outbound/tests.mk: integration tests of outbound delivery (real DNS server, sinks).
