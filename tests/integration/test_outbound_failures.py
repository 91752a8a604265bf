#!/usr/bin/env python3
"""test_outbound_failures.py: what the outbound queue does when delivery
does not simply work: 4xx and retry on a 1 s schedule, refused and hanging
peers (timeouts), a peer closing the connection, 5xx and exactly one DSN
in the sender's INBOX quoting the remote reply, mixed recipients, expiry
after queue_lifetime, no DSN for a null sender; kill -9 and SIGTERM with a
non-empty queue, and no second delivery of a message the remote server
acknowledged. Fixtures: outbound_env.py (nsd, sinks, OutboundCase)."""
import os
import re
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, ADDRS, BOB, DOMAIN, HOSTNAME, OutboundCase  # noqa: E402


class FailureTest(OutboundCase):
    def test_4xx_then_success(self):
        sink = self.sink()
        sink.set("rcpt", "451 4.3.0 greylisted, come back later", times=2)
        self.server()
        tok, msg = self.send(["grey@remote.test"])
        [tx] = self.wait_messages(sink, 1, timeout=20)
        self.assertTrue(tx.data.endswith(msg))
        self.assertGreaterEqual(len(sink.transactions), 3)
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(E.dsns(self.srv, ALICE), [])
        log = E.outbound_log(self.srv)
        self.assertTrue(any("status=deferred" in l for l in log), self.diag())

    def test_connection_refused_then_success(self):
        self.server()
        tok, msg = self.send(["later@remote.test"])
        time.sleep(2.5)  # a couple of refused attempts on the 1 s schedule
        sink = self.sink()
        [tx] = self.wait_messages(sink, 1, timeout=20)
        self.assertTrue(tx.data.endswith(msg))
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(E.dsns(self.srv, ALICE), [])

    def test_5xx_one_dsn_quoting_reply(self):
        sink = self.sink()
        sink.set_rcpt("nobody@remote.test", "550 5.1.1 <nobody@remote.test>: no such mailbox zq7")
        self.server()
        tok, msg = self.send(["nobody@remote.test"])
        dsn, status = self.assert_one_dsn(ALICE, ["nobody@remote.test"],
                                          quote="no such mailbox zq7")
        self.assertRegex(status, r"(?im)^Status: *5\.1\.1")
        self.assertRegex(status, r"(?im)^Diagnostic-Code: *smtp; *550")
        self.assertRegex(status, r"(?im)^Reporting-MTA: *dns; *%s" % re.escape(HOSTNAME))
        self.assertIn(tok, dsn.as_string())  # the original (or its headers) is returned
        self.assertEqual(sink.messages, [])
        self.assertEqual(len(sink.transactions), 1, "a 5xx was retried")

    def test_5xx_on_data(self):
        sink = self.sink()
        sink.set("dot", "554 5.7.1 message content rejected kx3")
        self.server()
        self.send(["c@remote.test"])
        self.assert_one_dsn(ALICE, ["c@remote.test"], quote="content rejected kx3")
        self.assertEqual(len(sink.transactions), 1)

    def test_mixed_recipients(self):
        sink = self.sink()
        sink.set_rcpt("bad@remote.test", "550 5.1.1 user unknown mq2")
        self.server()
        tok, msg = self.send(["good@remote.test", "bad@remote.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, ["good@remote.test"])
        dsn, status = self.assert_one_dsn(ALICE, ["bad@remote.test"],
                                          not_failed=["good@remote.test"],
                                          quote="user unknown mq2")
        self.assertEqual(len(sink.messages), 1)

    def test_mixed_temp_and_perm(self):
        sink = self.sink()
        sink.set_rcpt("bad@remote.test", "550 5.1.1 user unknown")
        sink.set_rcpt("slow@remote.test", "452 4.2.2 mailbox full", times=1)
        self.server()
        self.send(["slow@remote.test", "bad@remote.test", "good@remote.test"])
        self.wait_messages(sink, 2, timeout=20)
        got = sorted(r for tx in sink.messages for r in tx.rcpts)
        self.assertEqual(got, ["good@remote.test", "slow@remote.test"])
        self.assert_one_dsn(ALICE, ["bad@remote.test"],
                            not_failed=["good@remote.test", "slow@remote.test"])
        self.assertEqual(len(sink.messages), 2)

    def test_hanging_peer_times_out_and_is_retried(self):
        for stage in ("connect", "dot"):
            with self.subTest(stage=stage):
                sink = self.sink()
                sink.set(stage, E.HANG, times=1)
                self.server()
                tok, msg = self.send(["hang-%s@remote.test" % stage])
                t0 = time.time()
                [tx] = self.wait_messages(sink, 1, timeout=25)
                # outbound_timeout = 3: not before it, and a retry happened.
                self.assertGreaterEqual(time.time() - t0, 2.5)
                self.assertGreaterEqual(len(sink.sessions), 2)
                self.assertTrue(tx.data.endswith(msg))
                self.wait_settled()
                self.assertEqual(len(sink.messages), 1)
                self.assertEqual(E.dsns(self.srv, ALICE), [])
                self.srv.__exit__(None, None, None)
                sink.close()
                self.port = E.sink_port(ADDRS)

    def test_peer_closes_connection(self):
        sink = self.sink()
        sink.set("mail", E.CLOSE, times=1)
        self.server()
        tok, msg = self.send(["closer@remote.test"])
        [tx] = self.wait_messages(sink, 1, timeout=20)
        self.assertGreaterEqual(len(sink.sessions), 2)
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)

    def test_expiry_bounces(self):
        sink = self.sink()
        sink.set("rcpt", "451 4.4.5 always busy xq9")
        self.server(queue_lifetime="10s")
        t0 = time.time()
        self.send(["never@remote.test"])
        dsn, status = self.assert_one_dsn(ALICE, ["never@remote.test"], quote="always busy xq9")
        self.assertGreaterEqual(time.time() - t0, 9)
        self.assertGreaterEqual(len(sink.transactions), 2)
        self.assertEqual(sink.messages, [])

    def test_null_sender_never_bounced(self):
        sink = self.sink()
        sink.set("rcpt", "550 5.1.1 no thanks")
        self.server()
        msg = E.make_message(ALICE, ["nb@remote.test"])
        refused = E.submit(self.srv, ALICE, ["nb@remote.test"], msg, mail_from="")
        self.assertEqual(refused, {})
        [tx] = self.wait_transactions(sink, 1)
        self.assertEqual(tx.mail_from, "")
        self.wait_settled()
        time.sleep(1.5)
        self.assertEqual(E.inbox(self.srv, ALICE), [])
        self.assertEqual(len(sink.transactions), 1)


    def test_bounce_to_foreign_sender_is_not_bounced(self):
        """Forwarded mail from a foreign sender fails with 5xx: the DSN goes
        out through the queue with a null sender; when that fails too,
        nothing more happens (no bounce loop)."""
        sink = self.sink()
        sink.set_rcpt("someone@remote.test", "550 5.1.1 gone xr4")
        sink.set_rcpt("stranger@remote.test", "550 5.1.1 no bounces here")
        srv = self.server(start=False)
        srv.cli("alias", "add", "fwd@" + DOMAIN, "someone@remote.test")
        srv.start()
        msg = E.make_message("stranger@remote.test", ["fwd@" + DOMAIN])
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
        try:
            self.assertEqual(s.sendmail("stranger@remote.test", ["fwd@" + DOMAIN], msg), {})
            s.quit()
        finally:
            s.close()
        # The forward fails, then the DSN to stranger is tried and refused.
        txs = self.wait_transactions(sink, 2)
        E.wait_for(lambda: txs[1].rcpt_replies or txs[1].session.closed_by, 10,
                   what="the DSN's RCPT")
        self.assertEqual(txs[0].rcpt_replies[0][0], "someone@remote.test")
        dsn_tx = txs[1]
        self.assertEqual(dsn_tx.mail_from, "")
        self.assertEqual(dsn_tx.rcpt_replies[0][0], "stranger@remote.test")
        self.wait_settled()
        time.sleep(1)
        self.assertEqual(len(sink.transactions), 2, sink.transactions)
        for user in (ALICE, BOB):
            self.assertEqual(E.inbox(srv, user), [])

class DurabilityTest(OutboundCase):
    def check_restart(self, how):
        sink = self.sink()
        sink.set("rcpt", "451 4.3.0 not now")
        srv = self.server()
        tok, msg = self.send(["durable@remote.test"])
        self.wait_transactions(sink, 1)
        if how == "kill":
            E.kill9(srv)
        else:
            self.assertEqual(srv.stop(), 0)
        sink.clear()
        n = len(sink.transactions)
        time.sleep(1)
        self.assertEqual(len(sink.transactions), n, "delivery attempted while stopped")
        srv.start()
        [tx] = self.wait_messages(sink, 1, timeout=20)
        self.assertTrue(tx.data.endswith(msg))
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)

    def test_kill9_with_queued_mail(self):
        self.check_restart("kill")

    def test_sigterm_with_queued_mail(self):
        self.check_restart("term")

    def test_no_redelivery_after_acknowledged(self):
        """Once the remote 250 was recorded (the client went on to its next
        command), kill -9 and restart do not deliver it again."""
        sink = self.sink()
        srv = self.server()
        tok, msg = self.send(["once@remote.test"])
        [tx] = self.wait_messages(sink, 1)

        def went_on():
            cmds = [c.upper() for c in tx.session.commands]
            last_data = max(i for i, c in enumerate(cmds) if c == "DATA")
            return len(cmds) > last_data + 1 or tx.session.closed_by is not None
        E.wait_for(went_on, 15, what="a command after the message")
        E.kill9(srv)
        srv.start()
        time.sleep(4)  # several turns of the 1 s schedule
        self.assertEqual(len(sink.messages), 1, "delivered again after kill -9")


if __name__ == "__main__":
    unittest.main()
