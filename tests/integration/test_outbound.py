#!/usr/bin/env python3
"""test_outbound.py: outbound delivery end to end: a real posthornd sends
mail submitted on 587 (and forwarded by an alias from 25) through its queue
to SMTP sinks found through a real DNS server (nsd on loopback).

Everything is observed from outside: what the sinks receive (envelope,
bytes, EHLO name, TLS) and what lands in the sender's INBOX (DSNs read
over IMAP and parsed with the email module). Here: delivery intact with
our Received header, STARTTLS and the outbound_tls policies, MX preference
and fallback to the next MX, implicit MX, an AAAA-only MX on [::1],
NXDOMAIN and null MX, alias forwarding. Failures, retries and restarts are
test_outbound_failures.py; ESMTP extensions and load test_outbound_smtp.py;
the relayhost test_outbound_relay.py; DKIM signing test_outbound_dkim.py.
The fixtures (nsd, sinks, OutboundCase) are outbound_env.py."""
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbound_env as E  # noqa: E402
from outbound_env import (ALICE, BOB, DOMAIN, HOSTNAME, MX1, PREF_LOW,  # noqa: E402
                          PREF_HIGH, IMPLICIT, OutboundCase, token)


class DeliveryTest(OutboundCase):
    def test_mx_delivery_intact(self):
        sink = self.sink()
        self.server()
        tok, msg = self.send(["rcpt@remote.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.mail_from, ALICE)
        self.assertEqual(tx.rcpts, ["rcpt@remote.test"])
        self.assertEqual(tx.ehlo, HOSTNAME)
        self.assertEqual(tx.session.ehlo_verb, "EHLO")
        # The message arrives byte for byte, under our trace header(s).
        self.assertTrue(tx.data.endswith(msg), tx.data)
        added = tx.data[:-len(msg)].decode()
        # RFC 5321 4.4: Return-Path is added by the final delivery only;
        # a relay or an originating system must not send one.
        self.assertNotRegex(added, r"(?im)^Return-Path:", added)
        self.assertTrue(added.startswith("Received: "), added)
        self.assertRegex(added, r"by %s\b" % re.escape(HOSTNAME))
        self.assertNotIn("\r\n\r\n", added)
        # Each added line is a header line or its continuation.
        for line in added.split("\r\n")[:-1]:
            self.assertRegex(line, r"^([A-Za-z-]+: |[ \t])", added)
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(E.dsns(self.srv, ALICE), [])
        self.assertTrue(any("status=sent" in l for l in E.outbound_log(self.srv)),
                        self.diag())

    def test_two_recipients_one_transaction(self):
        sink = self.sink()
        self.server()
        tok, msg = self.send(["a@remote.test", "b@remote.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(sorted(tx.rcpts), ["a@remote.test", "b@remote.test"])
        self.wait_settled()
        self.assertEqual(len(sink.messages), 1)

    def test_mail_params_when_offered(self):
        sink = self.sink()
        self.server()
        body = "Gr\u00fc\u00dfe aus K\u00f6ln \u20ac\r\n"
        tok, msg = self.send(["u8@remote.test"], body=body, extra_headers=(
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit"))
        [tx] = self.wait_messages(sink, 1)
        self.assertTrue(tx.data.endswith(msg))
        self.assertIn("BODY=8BITMIME", tx.mail_arg.upper())
        m = re.search(r"SIZE=(\d+)", tx.mail_arg.upper())
        self.assertIsNotNone(m, tx.mail_arg)
        self.assertGreaterEqual(int(m.group(1)), len(msg))

    def test_starttls_when_offered(self):
        sink = self.sink(tls=True)
        self.server()
        self.send(["tls@remote.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertTrue(tx.tls, "delivered without STARTTLS")
        self.assertEqual(tx.ehlo, HOSTNAME)  # EHLO again after STARTTLS
        self.assertIn("STARTTLS", [c.upper() for c in tx.session.commands])

    def test_no_tls_when_policy_none(self):
        sink = self.sink(tls=True)
        self.server(outbound_tls="none")
        self.send(["plain@remote.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertFalse(tx.tls)

    def test_encrypt_policy_defers_without_starttls(self):
        sink = self.sink()  # offers no STARTTLS
        self.server(outbound_tls="encrypt")
        self.send(["secret@remote.test"])
        self.wait_sessions(sink, 2, timeout=20)  # tried and retried
        self.assertEqual(sink.messages, [])
        self.assertEqual(sink.transactions, [], "MAIL sent without TLS")
        self.assertEqual(E.dsns(self.srv, ALICE), [])
        # Once the peer offers TLS it goes out, encrypted.
        sink.enable_tls()
        [tx] = self.wait_messages(sink, 1)
        self.assertTrue(tx.tls)


class RoutingTest(OutboundCase):
    def test_mx_preference_order(self):
        low = self.sink(PREF_LOW)
        high = self.sink(PREF_HIGH)
        self.server()
        for _ in range(3):
            self.send(["p@pref.test"])
        self.wait_messages(low, 3)
        self.wait_settled()
        self.assertEqual(len(high.sessions), 0, "the pref 20 host was used while pref 10 was up")

    def test_next_mx_when_best_is_down(self):
        # pref 5 points at an address where nothing listens: refused at once.
        sink = self.sink(MX1)
        self.server()
        tok, msg = self.send(["d@deadfirst.test"])
        [tx] = self.wait_messages(sink, 1, timeout=15)
        self.assertEqual(tx.rcpts, ["d@deadfirst.test"])
        self.assertTrue(tx.data.endswith(msg))

    def test_next_mx_when_best_answers_4xx(self):
        low = self.sink(PREF_LOW)
        high = self.sink(PREF_HIGH)
        low.set("connect", "421 4.3.2 too busy")
        self.server()
        self.send(["busy@pref.test"])
        [tx] = self.wait_messages(high, 1, timeout=15)
        self.assertEqual(tx.rcpts, ["busy@pref.test"])
        self.assertGreaterEqual(len(low.sessions), 1)
        self.assertEqual(low.messages, [])

    def test_implicit_mx(self):
        sink = self.sink(IMPLICIT)
        self.server()
        tok, msg = self.send(["i@implicit.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, ["i@implicit.test"])

    @unittest.skipUnless(E.have_ipv6_loopback(), "no ::1 on lo")
    def test_aaaa_only_mx(self):
        sink = self.sink("::1")
        self.server()
        tok, msg = self.send(["six@v6.test"])
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, ["six@v6.test"])
        self.assertEqual(tx.session.peer[0], "::1")
        self.assertTrue(tx.data.endswith(msg))

    def test_recipients_in_several_domains(self):
        """One submission to two foreign domains, one missing domain and a
        local user: each destination gets its copy, the DSN names only the
        missing one."""
        mx = self.sink(MX1)
        implicit = self.sink(IMPLICIT)
        self.server()
        tok, msg = self.send(["a@remote.test", "b@nowhere.test", "c@implicit.test", BOB])
        [tx1] = self.wait_messages(mx, 1)
        [tx2] = self.wait_messages(implicit, 1)
        self.assertEqual(tx1.rcpts, ["a@remote.test"])
        self.assertEqual(tx2.rcpts, ["c@implicit.test"])
        self.assertTrue(tx1.data.endswith(msg) and tx2.data.endswith(msg))
        [local] = E.wait_inbox(self.srv, BOB, 1)
        self.assertIn(tok.encode(), local)
        self.assert_one_dsn(ALICE, ["b@nowhere.test"],
                            not_failed=["a@remote.test", "c@implicit.test", BOB])
        self.assertEqual(len(mx.messages) + len(implicit.messages), 2)

    def test_nxdomain_bounces(self):
        sink = self.sink()
        self.server()
        self.send(["x@nowhere.test"])
        self.assert_one_dsn(ALICE, ["x@nowhere.test"])
        self.assertEqual(sink.sessions, [])

    def test_null_mx_bounces(self):
        sink = self.sink()
        self.server()
        self.send(["x@nullmx.test"])
        dsn, status = self.assert_one_dsn(ALICE, ["x@nullmx.test"])
        self.assertEqual(sink.sessions, [])


class AliasForwardTest(OutboundCase):
    def test_alias_to_foreign_address(self):
        sink = self.sink()
        srv = self.server(start=False)
        srv.cli("alias", "add", "fwd@" + DOMAIN, "someone@remote.test")
        srv.start()
        tok = token()
        msg = E.make_message("stranger@elsewhere.test", ["fwd@" + DOMAIN], token=tok)
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
        try:
            self.assertEqual(s.sendmail("stranger@elsewhere.test", ["fwd@" + DOMAIN], msg), {})
            s.quit()
        finally:
            s.close()
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, ["someone@remote.test"])
        self.assertIn(tok.encode(), tx.data)
        self.assertTrue(tx.data.endswith(msg))

    def test_alias_local_and_foreign(self):
        sink = self.sink()
        srv = self.server(start=False)
        srv.cli("alias", "add", "team@" + DOMAIN, BOB + ",ext@remote.test")
        srv.start()
        tok = token()
        msg = E.make_message("stranger@elsewhere.test", ["team@" + DOMAIN], token=tok)
        s = smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30)
        try:
            s.sendmail("stranger@elsewhere.test", ["team@" + DOMAIN], msg)
            s.quit()
        finally:
            s.close()
        [tx] = self.wait_messages(sink, 1)
        self.assertEqual(tx.rcpts, ["ext@remote.test"])
        [local] = E.wait_inbox(srv, BOB, 1)
        self.assertIn(tok.encode(), local)


if __name__ == "__main__":
    unittest.main()
