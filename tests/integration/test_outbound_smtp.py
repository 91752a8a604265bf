#!/usr/bin/env python3
"""test_outbound_smtp.py: the SMTP client's use of ESMTP extensions as seen
by a sink (PIPELINING only when offered, 8BITMIME, SMTPUTF8, SIZE, and a
clean bounce or downgrade when one is missing), and load: 50 messages
submitted over 5 connections all delivered exactly once, with at most
outbound_max_per_domain connections at once. Fixtures: outbound_env.py."""
import os
import re
import smtplib
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, ADDRS, OutboundCase, token  # noqa: E402


class CapabilityTest(OutboundCase):
    """PIPELINING, 8BITMIME, SMTPUTF8 and SIZE: used when offered, and
    never assumed when not (downgrade or a clean bounce)."""

    def test_pipelining_only_when_offered(self):
        for offered in (True, False):
            with self.subTest(pipelining=offered):
                ext = ["8BITMIME", "SIZE 52428800"] + (["PIPELINING"] if offered else [])
                sink = self.sink(extensions=ext)
                sink.probe_pipelining = True
                self.server()
                self.send(["p1@remote.test", "p2@remote.test"])
                [tx] = self.wait_messages(sink, 1)
                self.assertEqual(sorted(tx.rcpts), ["p1@remote.test", "p2@remote.test"])
                if offered:
                    self.assertTrue(tx.pipelined, "RCPT not pipelined after MAIL")
                else:
                    self.assertFalse(tx.pipelined, "pipelined without PIPELINING")
                self.srv.__exit__(None, None, None)
                sink.close()
                self.port = E.sink_port(ADDRS)

    def test_8bit_to_server_without_8bitmime(self):
        sink = self.sink(extensions=["PIPELINING", "SIZE 52428800"])
        self.server()
        self.send(["seven@remote.test"], body="Gr\u00fc\u00dfe\r\n", extra_headers=(
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit"))
        # Either a 7-bit downgrade or a bounce (5.6.3); never 8-bit bytes
        # to a server that did not offer 8BITMIME (RFC 6152 3).
        def outcome():
            return sink.messages or E.dsns(self.srv, ALICE)
        E.wait_for(outcome, 30, 0.25, "delivery or DSN")
        for tx in sink.messages:
            self.assertTrue(all(b < 0x80 for b in tx.data), "8-bit data sent")
            self.assertNotIn("BODY=8BITMIME", tx.mail_arg.upper())
        if not sink.messages:
            dsn, status = self.assert_one_dsn(ALICE, ["seven@remote.test"])
            self.assertRegex(status, r"(?im)^Status: *5\.6\.\d")

    def test_smtputf8_address(self):
        sink = self.sink()
        self.server()
        rcpt = "j\u00f6rg@remote.test"
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: utf8\r\n"
               "Date: Sun, 22 Nov 2026 21:00:00 +0000\r\n"
               "Message-ID: <u8-%s@example.test>\r\n\r\nhi\r\n"
               % (ALICE, rcpt, token())).encode("utf-8")
        self.assertEqual(E.submit(self.srv, ALICE, [rcpt], msg,
                                  mail_options=["SMTPUTF8"]), {})
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, [rcpt])
        self.assertIn("SMTPUTF8", tx.mail_arg.upper())
        self.assertTrue(tx.data.endswith(msg))

    def test_smtputf8_not_offered_bounces(self):
        sink = self.sink(extensions=["PIPELINING", "8BITMIME"])
        self.server()
        rcpt = "j\u00f6rg@remote.test"
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: utf8\r\n\r\nhi\r\n"
               % (ALICE, rcpt)).encode("utf-8")
        self.assertEqual(E.submit(self.srv, ALICE, [rcpt], msg,
                                  mail_options=["SMTPUTF8"]), {})
        self.wait_dsns(ALICE)
        self.wait_settled()
        [dsn] = E.dsns(self.srv, ALICE)
        _human, status, _ = E.dsn_parts(dsn)
        self.assertRegex(status, r"(?im)^Status: *5\.6\.7")
        self.assertEqual([tx for tx in sink.transactions if tx.rcpt_replies], [],
                         "UTF-8 address sent to a server without SMTPUTF8")
        self.assertEqual(sink.messages, [])

    def test_size_limit_of_server(self):
        sink = self.sink(extensions=["PIPELINING", "8BITMIME", "SIZE 2000"])
        self.server()
        self.send(["big@remote.test"], body="x" * 70 + "\r\n" * 1 + ("y" * 70 + "\r\n") * 100)
        self.assert_one_dsn(ALICE, ["big@remote.test"])
        self.assertEqual(sink.messages, [])
        for tx in sink.transactions:
            self.assertRegex(tx.mail_arg.upper(), r"SIZE=\d+")


class LoadTest(OutboundCase):
    def test_50_messages_over_5_connections(self):
        sink = self.sink()
        srv = self.server()
        toks = []
        lock = threading.Lock()
        errors = []

        def client(i):
            try:
                s = smtplib.SMTP("127.0.0.1", srv.port("submission"), timeout=60)
                s.login(ALICE, srv.users[ALICE])
                for j in range(10):
                    tok = "load-%d-%d-%s" % (i, j, os.urandom(3).hex())
                    rcpt = "r%d@remote.test" % (j % 3)
                    self.assertEqual(s.sendmail(ALICE, [rcpt], E.make_message(
                        ALICE, [rcpt], token=tok)), {})
                    with lock:
                        toks.append(tok)
                s.quit()
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(toks), 50)
        self.wait_messages(sink, 50, timeout=60)
        self.wait_settled()
        got = {}
        for tx in sink.messages:
            m = re.search(rb"Subject: outbound test (load-\S+)", tx.data)
            self.assertIsNotNone(m, tx.data[:300])
            got[m.group(1).decode()] = got.get(m.group(1).decode(), 0) + 1
        self.assertEqual(sorted(got), sorted(toks))
        self.assertEqual(set(got.values()), {1}, "some delivered twice")
        # outbound_max_per_domain (default 4) bounds the connections at once.
        self.assertLessEqual(sink.max_active, 4)



class ConnectionReuseTest(OutboundCase):
    def test_backlog_shares_connections(self):
        """20 messages queued while the MX is down go out, once the MX is
        up, over fewer connections than messages (each kept connection
        carries the next entry for the domain), each exactly once, and no
        more than outbound_max_per_domain connections at a time."""
        srv = self.server()
        toks = []
        for i in range(20):
            tok, _ = self.send(["r%d@remote.test" % (i % 2)])
            toks.append(tok)
        time.sleep(1.5)             # refused: all 20 wait for the 1 s retry
        sink = self.sink()
        self.wait_messages(sink, 20, timeout=60)
        self.wait_settled()
        self.assertEqual(len(sink.messages), 20)
        for tok in toks:
            self.assertEqual(sum(tok.encode() in m.data for m in sink.messages), 1, tok)
        self.assertLess(len(sink.sessions), 20, "no connection carried two messages")
        self.assertLessEqual(sink.max_active, 4)

if __name__ == "__main__":
    unittest.main()
