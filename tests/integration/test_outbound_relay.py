#!/usr/bin/env python3
"""test_outbound_relay.py: relayhost mode (smarthost with AUTH over TLS).

The chain: alice submits to posthornd S (example.test) for a foreign
address; S has relayhost = smtp.relay.test:PORT and sends everything there
with AUTH, over STARTTLS on the relay's submission port or over implicit
TLS on its submissions port, verifying the relay's certificate
(tls_ca_file = the relay's self-signed certificate made by `posthorn cert
selfsigned smtp.relay.test`; the name resolves through nsd). The relay R
is a second posthornd that requires TLS for AUTH (plaintext_auth = never)
and owns alice's address (it checks the sender of an authenticated
session); it delivers by MX through the same nsd to a sink. The sink must
receive the message with both servers' Received headers and R's EHLO name.
A wrong password or a certificate that does not verify keeps the mail
queued on S (no DSN), and it goes out once fixed.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, DOMAIN  # noqa: E402

MX1 = "127.0.0.2"
RELAY_HOST = "smtp.relay.test"
RELAY_PASSWORD = "relay-pass-4"
S_HOST = "mail." + DOMAIN


@unittest.skipUnless(E.have_nsd(), "nsd is not installed")
class RelayhostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        zone = E.Zone()
        zone.mx("remote.test", 10, "mx1.remote.test").a("mx1.remote.test", MX1)
        zone.a(RELAY_HOST, "127.0.0.1")
        cls.nsd = E.Nsd(zone).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.__exit__(None, None, None)

    def setUp(self):
        self.port = E.sink_port([MX1])
        self.sink = E.Sink(MX1, self.port)
        self.addCleanup(self.sink.close)
        self.relay = self.start_relay()
        self.srv = None

    def start_relay(self):
        """R: the smarthost, TLS only for AUTH, delivering by MX to the sink."""
        r = harness.Server(domain=DOMAIN, users={ALICE: RELAY_PASSWORD},
                           listen=("smtp", "submission", "submissions"),
                           extra_config=E.outbound_config(self.nsd, self.port))
        r.cert = os.path.join(r.tmp, "relay-cert.pem")
        r.extra_config.update({"hostname": RELAY_HOST, "plaintext_auth": "never",
                               "tls_cert": r.cert,
                               "tls_key": os.path.join(r.tmp, "relay-key.pem")})
        r.write_config()
        r.cli("cert", "selfsigned", RELAY_HOST)
        r.__enter__()
        self.addCleanup(r.__exit__, None, None, None)
        return r

    def start_sender(self, kind="submission", password=RELAY_PASSWORD, ca=None, **extra):
        """S: everything through relayhost = smtp.relay.test:PORT(kind)."""
        cfg = {"relayhost": "%s:%d" % (RELAY_HOST, self.relay.port(kind)),
               "relayhost_user": ALICE,
               "relayhost_password": password,
               "tls_ca_file": ca or self.relay.cert}
        if kind == "submissions":
            cfg["relayhost_tls"] = "tls"
        cfg.update(extra)
        # outbound_port points at a closed port: S must not deliver by MX.
        srv = E.sending_server(self.nsd, harness.free_port(), **cfg)
        srv.provision()
        srv.start()
        self.addCleanup(srv.__exit__, None, None, None)
        self.srv = srv
        return srv

    def diag(self):
        out = ""
        for name, s in (("sender", self.srv), ("relay", self.relay)):
            if s is not None:
                out += "\n--- %s log (tail) ---\n%s" % (
                    name, "\n".join(s.log().splitlines()[-30:]))
        return out

    def wait_delivered(self, n=1, timeout=30):
        try:
            return self.sink.wait_messages(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def send(self):
        tok = "relay-%s" % os.urandom(5).hex()
        msg = E.make_message(ALICE, ["far@remote.test"], token=tok)
        self.assertEqual(E.submit(self.srv, ALICE, ["far@remote.test"], msg), {})
        return tok, msg

    def check_chain(self, kind):
        self.start_sender(kind)
        tok, msg = self.send()
        [tx] = self.wait_delivered()
        self.assertEqual(tx.mail_from, ALICE)
        self.assertEqual(tx.rcpts, ["far@remote.test"])
        self.assertEqual(tx.ehlo, RELAY_HOST)  # the relay delivered it
        self.assertTrue(tx.data.endswith(msg), tx.data)
        head = tx.data[:-len(msg)].decode()
        received = re.findall(r"(?m)^Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*", head)
        self.assertGreaterEqual(len(received), 2, head)
        self.assertRegex(received[0], r"by %s\b" % re.escape(RELAY_HOST))
        self.assertTrue(any(re.search(r"by %s\b" % re.escape(S_HOST), r) for r in received),
                        head)
        # The hop from S to R was authenticated and encrypted: R's Received
        # says so (ESMTPSA, RFC 3848), and R logged alice's login.
        self.assertRegex(received[0], r"with ESMTPSA", received[0])
        self.assertIn("auth=<%s>" % ALICE, self.relay.log())
        E.wait_queue_empty(self.srv, 20)
        self.assertEqual(E.dsns(self.srv, ALICE), [])

    def test_starttls_submission(self):
        self.check_chain("submission")

    def test_implicit_tls_submissions(self):
        self.check_chain("submissions")

    def assert_stays_queued(self, seconds=4):
        time.sleep(seconds)
        self.assertEqual(self.sink.messages, [], self.diag())
        self.assertEqual(E.dsns(self.srv, ALICE), [], "bounced instead of kept" + self.diag())
        lst = E.queue_list(self.srv)
        if lst is not None:
            self.assertNotEqual(lst, [], "queue empty but nothing delivered" + self.diag())

    def test_wrong_password_stays_queued(self):
        srv = self.start_sender(password="wrong-password")
        tok, msg = self.send()
        self.assert_stays_queued()
        self.assertNotIn("auth=<%s>" % ALICE, self.relay.log())
        self.assertTrue(any("status=deferred" in l for l in E.outbound_log(srv)), self.diag())
        # With the right password it goes out (the queue survived a restart).
        srv.stop()
        srv.write_config(relayhost_password=RELAY_PASSWORD)
        srv.start()
        [tx] = self.wait_delivered()
        self.assertIn(tok.encode(), tx.data)

    def test_password_fixed_by_sighup(self):
        srv = self.start_sender(password="wrong-password")
        tok, msg = self.send()
        self.assert_stays_queued(3)
        srv.write_config(relayhost_password=RELAY_PASSWORD)
        srv.proc.send_signal(signal.SIGHUP)
        [tx] = self.wait_delivered()
        self.assertIn(tok.encode(), tx.data)

    def test_unverified_certificate_stays_queued(self):
        # A CA file that did not sign the relay's certificate.
        d = os.path.join(self.relay.tmp, "other-ca")
        os.makedirs(d)
        other = E.make_cert(d, RELAY_HOST)[0]
        self.start_sender(ca=other)
        self.send()
        self.assert_stays_queued()
        self.assertNotIn("auth=<%s>" % ALICE, self.relay.log(),
                         "AUTH sent over an unverified connection")


if __name__ == "__main__":
    unittest.main()
