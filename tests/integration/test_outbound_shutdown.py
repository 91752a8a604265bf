#!/usr/bin/env python3
"""test_outbound_shutdown.py: SIGTERM while a delivery waits on a peer that
says nothing. With RFC 5321's 5-minute reply timeout the daemon must still
stop within seconds (the runner cancels the client's waits), keep the
message queued, and deliver it once after the restart."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, OutboundCase  # noqa: E402


class ShutdownTest(OutboundCase):
    def test_sigterm_during_hung_delivery(self):
        sink = self.sink()
        sink.set("dot", E.HANG)   # the message is sent, its reply never comes
        srv = self.server(outbound_timeout="300")
        tok, msg = self.send(["slow@remote.test"])
        self.wait_transactions(sink, 1)
        time.sleep(1.5)           # the data is on its way; the reply never comes
        start = time.monotonic()
        rc = srv.stop(timeout=60)
        took = time.monotonic() - start
        self.assertEqual(rc, 0, self.diag())
        self.assertLess(took, 10, "posthornd took %.1f s to stop" % took)
        self.assertEqual(sink.messages, [], "a hung transaction counted as delivered")

        sink.clear()              # the peer answers again
        srv.start()
        [tx] = self.wait_messages(sink, 1, timeout=30)
        self.assertTrue(tx.data.endswith(msg))
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(E.dsns(srv, ALICE), [])


if __name__ == "__main__":
    unittest.main()
