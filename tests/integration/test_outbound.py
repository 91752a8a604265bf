#!/usr/bin/env python3
"""test_outbound.py: outbound delivery end to end: a real posthornd sends
mail submitted on 587 (and forwarded by an alias from 25) through its queue
to SMTP sinks found through a real DNS server (nsd on loopback).

Everything is observed from outside: what the sinks receive (envelope,
bytes, EHLO name, TLS, number of attempts) and what lands in the sender's
INBOX (DSNs read over IMAP and parsed with the email module). Routing:
MX preference and fallback to the next MX, implicit MX, an AAAA-only MX
on [::1], NXDOMAIN and null MX. Failures: 4xx and retry on a 1 s
schedule, 5xx and exactly one DSN, mixed recipients, hanging and refusing
peers, expiry, no DSN for a null sender. Durability: kill -9 and SIGTERM
with a non-empty queue. Load: 50 messages over 5 connections, each
delivered exactly once. The relayhost is test_outbound_relay.py, DKIM
signing test_outbound_dkim.py.
"""
import os
import re
import smtplib
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, BOB, DOMAIN  # noqa: E402

HOSTNAME = "mail." + DOMAIN
MX1 = "127.0.0.2"        # mx1.remote.test, pref 10
PREF_LOW = "127.0.0.3"   # mx-a.pref.test, pref 10
PREF_HIGH = "127.0.0.4"  # mx-b.pref.test, pref 20
IMPLICIT = "127.0.0.5"   # implicit.test (A, no MX)
DEAD = "127.0.0.6"       # nothing ever listens here
ADDRS = [MX1, PREF_LOW, PREF_HIGH, IMPLICIT] + (["::1"] if E.have_ipv6_loopback() else [])


def build_zone():
    z = E.Zone()
    z.mx("remote.test", 10, "mx1.remote.test").a("mx1.remote.test", MX1)
    # A dead host with the best preference first: delivery falls back.
    z.mx("pref.test", 20, "mx-b.pref.test").mx("pref.test", 10, "mx-a.pref.test")
    z.a("mx-a.pref.test", PREF_LOW).a("mx-b.pref.test", PREF_HIGH)
    z.mx("deadfirst.test", 5, "dead.deadfirst.test").a("dead.deadfirst.test", DEAD)
    z.mx("deadfirst.test", 50, "mx1.remote.test")
    z.a("implicit.test", IMPLICIT)
    z.mx("v6.test", 10, "mx6.v6.test").aaaa("mx6.v6.test", "::1")
    z.mx("nullmx.test", 0, ".")
    # "nowhere.test" has no record at all: NXDOMAIN.
    return z


def token():
    return "t%d%s" % (os.getpid(), os.urandom(5).hex())


@unittest.skipUnless(E.have_nsd(), "nsd is not installed")
class OutboundCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nsd = E.Nsd(build_zone()).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.__exit__(None, None, None)

    def setUp(self):
        self.port = E.sink_port(ADDRS)
        self.srv = None

    def sink(self, addr=MX1, **kw):
        s = E.Sink(addr, self.port, **kw)
        self.addCleanup(s.close)
        return s

    def server(self, start=True, **extra):
        srv = E.sending_server(self.nsd, self.port, **extra)
        srv.provision()
        if start:
            srv.start()
        self.addCleanup(srv.__exit__, None, None, None)
        self.srv = srv
        return srv

    # ---- waiting, with the daemon's log on failure ----------------------------
    def diag(self):
        log = self.srv.log() if self.srv else ""
        return "\n--- posthornd log (tail) ---\n" + "\n".join(log.splitlines()[-40:])

    def wait_messages(self, sink, n, timeout=30):
        try:
            return sink.wait_messages(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_transactions(self, sink, n, timeout=30):
        try:
            return sink.wait_transactions(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_sessions(self, sink, n, timeout=30):
        try:
            return sink.wait_sessions(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_dsns(self, user, n=1, timeout=30):
        try:
            return E.wait_for(lambda: (lambda d: d if len(d) >= n else None)(
                E.dsns(self.srv, user)), timeout, 0.25, "%d DSN(s) for %s" % (n, user))
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_settled(self, timeout=30):
        """The queue is empty (when `posthorn queue list` works), then a little more."""
        try:
            E.wait_queue_empty(self.srv, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None
        time.sleep(1.5)  # 1 s retry schedule: a wrong extra attempt would show

    def send(self, rcpts, sender=ALICE, **kw):
        tok = token()
        msg = E.make_message(sender, rcpts, token=tok, **kw)
        refused = E.submit(self.srv, sender, rcpts, msg)
        self.assertEqual(refused, {})
        return tok, msg

    def assert_one_dsn(self, user, failed, not_failed=(), quote=None):
        """Exactly one DSN for user, naming the failed recipients (and none
        of not_failed), parsed as multipart/report; returns (msg, status text)."""
        self.wait_dsns(user)
        self.wait_settled()
        got = E.dsns(self.srv, user)
        self.assertEqual(len(got), 1, "expected exactly one DSN, got %d:\n%s" %
                         (len(got), "\n=====\n".join(m.as_string() for m in got)))
        dsn = got[0]
        self.assertEqual(dsn.get_param("report-type"), "delivery-status", dsn["Content-Type"])
        self.assertIn("MAILER-DAEMON@" + HOSTNAME, dsn["From"])
        self.assertIn(user, dsn["To"])
        human, status, _returned = E.dsn_parts(dsn)
        self.assertIsNotNone(status, "no message/delivery-status part:\n%s" % dsn.as_string())
        for r in failed:
            self.assertRegex(status, r"(?im)^Final-Recipient: *rfc822; *%s\s*$" % re.escape(r))
        self.assertRegex(status, r"(?im)^Action: *failed")
        self.assertRegex(status, r"(?im)^Status: *5\.\d{1,3}\.\d{1,3}")
        for r in not_failed:
            self.assertNotIn(r, status)
        if quote:
            self.assertIn(quote, dsn.as_string())
        return dsn, status


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


if __name__ == "__main__":
    unittest.main()
