#!/usr/bin/env python3
"""test_submission.py: message submission (RFC 6409) with SMTP AUTH
(RFC 4954) on listen_submission (587, STARTTLS) and listen_submissions
(465, implicit TLS) against a real posthornd.

Real clients as in /work/shared/clients/*.smtp.txt: swaks (--tls with AUTH
PLAIN and LOGIN, --tlsc on 465), Python's smtplib (starttls()/login(),
SMTP_SSL), curl (--ssl-reqd smtp://, smtps://), and raw sockets for the
exact exchanges (LOGIN prompts, initial responses, cancel, pipelining).
Refusals: AUTH before TLS, wrong password, spoofed MAIL FROM and From:,
relay without AUTH on port 25, foreign recipients (451 until the outbound
queue exists). Brute force: the Nth failure is throttled, the right
password from another address still works, the lock expires. The
credentials cache makes a second login faster, and a password changed
with the CLI invalidates it at once.

Source addresses: failed logins are counted per client address, so each
test that fails on purpose connects from its own 127.0.0.x (all loopback).
"""
import base64
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_smtp import token, with_token, header_block, wait_for_log  # noqa: E402
from test_smtp_tls import (TLSRaw, make_cert, tls_server, client_context,  # noqa: E402
                           pop3s_messages, DOMAIN, HOSTNAME, ALICE, BOB)

CAROL = "carol@" + DOMAIN      # brute force
DAVE = "dave@" + DOMAIN        # credentials cache
ERIN = "erin@" + DOMAIN        # the account lock
USERS = {
    ALICE: "alice-secret-1",
    BOB: "bob-secret-2",
    CAROL: "carol-secret-3",
    DAVE: "dave-secret-4",
    ERIN: "erin-secret-5",
}
LOCKOUT = 4          # seconds (auth_lockout); failures are answered 1 s late
THRESHOLD = 3        # failures per address (auth_fail_threshold)


def plain(user, password, authzid=""):
    return base64.b64encode(("%s\0%s\0%s" % (authzid, user, password)).encode()).decode()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def message(tok, sender=ALICE, to=BOB, extra=""):
    """A message without Date and Message-ID unless extra brings them."""
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\n%s\r\nbody %s\r\n"
            % (sender, to, tok, extra, tok))


class SubmissionTest(unittest.TestCase):
    """plaintext_auth = never: passwords only over TLS, loopback included."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="posthorn-sub-")
        cls.cert, cls.key = make_cert(cls.tmp)
        cls.ctx = client_context(cls.cert)
        cls.srv = tls_server(cls.cert, cls.key, plaintext_auth="never",
                             auth_fail_threshold=THRESHOLD, auth_lockout=LOCKOUT)
        cls.srv.users = dict(USERS)
        cls.srv.provision()
        cls.srv.cli("alias", "add", "al@" + DOMAIN, ALICE)
        cls.srv.cli("alias", "add", "team@" + DOMAIN, ALICE + "," + BOB)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.__exit__(None, None, None)
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers ----------------------------------------------------------

    def raw(self, kind="submission", source=None, tls=True):
        """A session ready for AUTH: EHLO, STARTTLS, EHLO (or TLS on 465)."""
        if kind == "submissions":
            r = TLSRaw(self.srv.port(kind), source=source, implicit_ctx=self.ctx)
        else:
            r = TLSRaw(self.srv.port(kind), source=source)
        self.addCleanup(r.close)
        r.ehlo()
        if tls and kind != "submissions":
            r.starttls(self.ctx)
            r.ehlo()
        return r

    def login(self, user=ALICE, password=None, **kw):
        r = self.raw(**kw)
        code, text = r.cmd("AUTH PLAIN " + plain(user, password or USERS[user]))
        self.assertEqual((code, text), (235, ["2.7.0 Authentication successful"]))
        return r

    def inbox(self, user=BOB):
        return pop3s_messages(self.srv, self.ctx, user, USERS[user])

    def send_raw(self, r, sender, rcpts, data):
        """MAIL, RCPT(s), DATA on an authenticated session; the final reply."""
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % sender)[0], 250)
        for a in rcpts:
            self.assertEqual(r.cmd("RCPT TO:<%s>" % a)[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        return r.cmd(data + ".")

    # -- what is offered where --------------------------------------------

    def test_no_auth_before_tls(self):
        r = self.raw(tls=False)
        ext = r.ehlo()[1:]
        self.assertIn("STARTTLS", ext)
        self.assertFalse([x for x in ext if x.startswith("AUTH")], ext)
        code, text = r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE]))
        self.assertEqual((code, text[0][:6]), (538, "5.7.11"))
        code, text = r.cmd("MAIL FROM:<%s>" % ALICE)
        self.assertEqual((code, text), (530, ["5.7.0 Must issue a STARTTLS command first"]))
        # After STARTTLS: AUTH, and no STARTTLS.
        r.starttls(self.ctx)
        ext = r.ehlo()[1:]
        self.assertIn("AUTH PLAIN LOGIN", ext)
        self.assertNotIn("STARTTLS", ext)

    def test_auth_required_for_mail(self):
        for kind in ("submission", "submissions"):
            r = self.raw(kind)
            code, text = r.cmd("MAIL FROM:<%s>" % ALICE)
            self.assertEqual((code, text), (530, ["5.7.0 Authentication required"]), kind)
            self.assertEqual(r.cmd("RCPT TO:<%s>" % BOB)[0], 503)

    def test_port_25_relay_refused_local_accepted(self):
        r = self.raw("smtp")     # STARTTLS on 25 too; still no AUTH
        self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE]))[0], 502)
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 250)
        code, text = r.cmd("RCPT TO:<someone@example.net>")
        self.assertEqual((code, text[0][:5]), (550, "5.7.1"))
        self.assertEqual(r.cmd("RCPT TO:<%s>" % BOB)[0], 250)
        tok = token()
        self.assertEqual(r.cmd("DATA")[0], 354)
        self.assertEqual(r.cmd(message(tok) + ".")[0], 250)
        [m] = with_token(self.inbox(), tok)
        self.assertIn(b" with ESMTPS id ", m)          # TLS, no AUTH

    # -- SASL exchanges -----------------------------------------------------

    def test_auth_plain_continuation_and_login_prompts(self):
        # Thunderbird/curl: AUTH PLAIN, then the blob after "334 ".
        r = self.raw()
        r.send("AUTH PLAIN\r\n")
        self.assertEqual(r.f.readline(), b"334 \r\n")
        self.assertEqual(r.cmd(plain(ALICE, USERS[ALICE]))[0], 235)
        # swaks: AUTH LOGIN with the standard prompts.
        r = self.raw("submissions")
        self.assertEqual(r.cmd("AUTH LOGIN"), (334, ["VXNlcm5hbWU6"]))
        self.assertEqual(r.cmd(b64(ALICE)), (334, ["UGFzc3dvcmQ6"]))
        self.assertEqual(r.cmd(b64(USERS[ALICE])), (235, ["2.7.0 Authentication successful"]))
        # Outlook, printers: AUTH LOGIN with the user name on the line.
        r = self.raw()
        self.assertEqual(r.cmd("AUTH LOGIN " + b64(ALICE)), (334, ["UGFzc3dvcmQ6"]))
        self.assertEqual(r.cmd(b64(USERS[ALICE]))[0], 235)
        # mutt: authzid = authcid; an alias login resolves to its user.
        r = self.raw()
        self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE], ALICE))[0], 235)
        r = self.raw()
        self.assertEqual(r.cmd("AUTH plain " + plain("AL@" + DOMAIN, USERS[ALICE]))[0], 235)
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 250)

    def test_auth_errors(self):
        r = self.raw()
        r.send("AUTH PLAIN\r\n")
        r.f.readline()
        self.assertEqual(r.cmd("*"), (501, ["5.0.0 Authentication cancelled"]))
        self.assertEqual(r.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(r.cmd("*")[0], 501)
        code, text = r.cmd("AUTH PLAIN not*base64")
        self.assertEqual((code, text[0][:5]), (501, "5.5.2"))
        code, text = r.cmd("AUTH CRAM-MD5")
        self.assertEqual((code, text[0][:5]), (504, "5.5.4"))
        self.assertEqual(r.cmd("AUTH")[0], 501)
        self.assertEqual(r.cmd("AUTH PLAIN a b")[0], 501)
        self.assertEqual(r.cmd("AUTH PLAIN " + "A" * 900)[0], 501)   # no NULs
        # RFC 4954 6: an exchange line over the limit.
        self.assertEqual(r.cmd("AUTH PLAIN")[0], 334)
        code, text = r.cmd("A" * 1100)
        self.assertEqual((code, text[0][:5]), (500, "5.5.6"))
        # A proxy login (authzid of someone else) is refused.
        code, text = r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE], BOB))
        self.assertEqual((code, text[0][:5]), (535, "5.7.8"))
        # The session still works, and AUTH only once.
        self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE]))[0], 235)
        self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE]))[0], 503)
        # Not before EHLO (forgotten with STARTTLS), not inside a transaction.
        r = self.raw(tls=False)
        r.starttls(self.ctx)
        self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, USERS[ALICE]))[0], 503)
        r.ehlo()
        r.send("AUTH PLAIN\r\n")
        self.assertEqual(r.f.readline(), b"334 \r\n")
        self.assertEqual(r.cmd(plain(ALICE, USERS[ALICE]))[0], 235)
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 250)
        self.assertEqual(r.cmd("AUTH LOGIN")[0], 503)

    def test_wrong_password(self):
        r = self.raw(source="127.0.0.5")
        t0 = time.monotonic()
        code, text = r.cmd("AUTH PLAIN " + plain(ALICE, "wrong"))
        self.assertEqual((code, text), (535, ["5.7.8 Authentication credentials invalid"]))
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)   # the failure delay
        code, text = r.cmd("AUTH LOGIN " + b64("nobody@" + DOMAIN))
        self.assertEqual(r.cmd(b64("x"))[0], 535)             # unknown user: the same
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 530)
        wait_for_log(self.srv, r'login: proto=smtp user=<alice@example\.test> '
                               r'rip=127\.0\.0\.5 result=fail reason="invalid credentials"')

    def test_pipelined_auth(self):
        # Commands pipelined behind AUTH wait for its answer.
        r = self.raw()
        r.send("AUTH PLAIN %s\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nRSET\r\n"
               % (plain(ALICE, USERS[ALICE]), ALICE, BOB))
        self.assertEqual([r.reply()[0] for _ in range(4)], [235, 250, 250, 250])

    # -- sender policy ------------------------------------------------------

    def test_mail_from_must_be_owned(self):
        r = self.login()
        for addr in (BOB, "alice@example.net", "postmaster@" + DOMAIN):
            code, text = r.cmd("MAIL FROM:<%s>" % addr)
            self.assertEqual((code, text[0][:5]), (553, "5.7.1"), addr)
        for addr in (ALICE, "Alice@Example.TEST", "al@" + DOMAIN, "team@" + DOMAIN, ""):
            self.assertEqual(r.cmd("MAIL FROM:<%s>" % addr)[0], 250, addr)
            self.assertEqual(r.cmd("RSET")[0], 250)

    def test_from_header_must_be_owned(self):
        r = self.login()
        tok = token()
        # Spoofed From: refused after DATA, nothing delivered.
        code, text = self.send_raw(r, ALICE, [BOB], message(tok, sender="Bob <%s>" % BOB))
        self.assertEqual((code, text[0][:5]), (550, "5.7.1"))
        code, _ = self.send_raw(r, ALICE, [BOB], message(tok, sender="%s, %s" % (ALICE, BOB)))
        self.assertEqual(code, 550)
        code, _ = self.send_raw(r, ALICE, [BOB], message(tok, sender="Alice alice@x"))
        self.assertEqual(code, 550)
        # The user's own address, an alias, several From fields of one's own.
        ok = token()
        self.assertEqual(self.send_raw(r, ALICE, [BOB],
                                       message(ok, sender='"Alice A." <al@%s>' % DOMAIN))[0], 250)
        self.assertEqual(with_token(self.inbox(), tok), [])
        self.assertEqual(len(with_token(self.inbox(), ok)), 1)

    def test_foreign_recipient_queued(self):
        """A foreign recipient is accepted and queued in the same commit as
        the local copy (outbound delivery itself: test_outbound*.py)."""
        r = self.login()
        tok = token()
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 250)
        code, text = r.cmd("RCPT TO:<Someone@Example.NET>")
        self.assertEqual((code, text[0][:5]), (250, "2.1.5"))
        self.assertEqual(r.cmd("RCPT TO:<%s>" % BOB)[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        self.assertEqual(r.cmd(message(tok, to="someone@example.net, " + BOB) + ".")[0], 250)
        self.assertEqual(len(with_token(self.inbox(), tok)), 1)
        line = wait_for_log(self.srv, r"smtp: id=\S+ rip=127\.0\.0\.1 auth=<alice@example\.test> "
                                      r"from=<alice@example\.test> to=<Someone@Example\.NET>,<bob@example\.test>")
        self.assertIn("result=accepted", line)
        # Queued for example.net and attempted: the local part as given, the
        # domain folded (the outcome depends on this machine's DNS).
        wait_for_log(self.srv, r"outbound: id=\d+ from=<alice@example\.test> "
                               r"to=<Someone@example\.net> relay=\S+ attempts=1 "
                               r"status=(sent|deferred|bounced)", timeout=30)
        self.assertNotRegex(self.srv.log(), r"outbound: .*to=<bob@example\.test>")

    # -- the message --------------------------------------------------------

    def test_smtplib_starttls_and_trace_fields(self):
        tok = token()
        s = smtplib.SMTP("127.0.0.1", self.srv.port("submission"), timeout=30)
        self.addCleanup(s.close)
        s.ehlo("client.example")
        s.starttls(context=self.ctx)
        s.ehlo("client.example")
        s.login(ALICE, USERS[ALICE])
        s.sendmail(ALICE, [BOB], message(tok))
        s.quit()
        [m] = with_token(self.inbox(), tok)
        hdr = header_block(m)
        self.assertRegex(hdr, rb"^Return-Path: <alice@example\.test>\r\n"
                              rb"Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n"
                              rb"\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n"
                              rb"\tby mail\.example\.test \(Posthorn\) with ESMTPSA id ")
        # RFC 6409 8.2, 8.3: added because the client left them out.
        self.assertEqual(len(re.findall(rb"\r\nDate: ", hdr)), 1)
        self.assertRegex(hdr, rb"\r\nMessage-ID: <[0-9A-F]{16}\.[0-9A-F]{16}@mail\.example\.test>")
        self.assertTrue(m.endswith(b"body " + tok.encode() + b"\r\n"))

    def test_smtps_keeps_date_and_message_id(self):
        tok = token()
        extra = "Date: Sun, 22 Nov 2026 19:01:00 +0000\r\nMessage-ID: <%s@client>\r\n" % tok
        s = smtplib.SMTP_SSL("127.0.0.1", self.srv.port("submissions"),
                             context=self.ctx, timeout=30)
        self.addCleanup(s.close)
        s.login(ALICE, USERS[ALICE])
        s.sendmail(ALICE, [BOB], message(tok, extra=extra))
        s.quit()
        [m] = with_token(self.inbox(), tok)
        hdr = header_block(m)
        self.assertEqual(hdr.count(b"Date:"), 1)
        self.assertEqual(hdr.count(b"Message-ID:"), 1)
        self.assertIn(b" with ESMTPSA id ", hdr)

    def test_message_without_header(self):
        tok = token()
        r = self.login(kind="submissions")
        self.assertEqual(self.send_raw(r, ALICE, [BOB], "just a body %s\r\n" % tok)[0], 250)
        [m] = with_token(self.inbox(), tok)
        head, body = m.split(b"\r\n\r\n", 1)
        self.assertIn(b"\r\nDate: ", head)
        self.assertEqual(body, b"just a body " + tok.encode() + b"\r\n")

    # -- real clients ---------------------------------------------------------

    def test_swaks(self):
        toks = []
        for args in (["--port", str(self.srv.port("submission")), "--tls", "--auth", "PLAIN"],
                     ["--port", str(self.srv.port("submission")), "--tls", "--auth", "LOGIN"],
                     ["--port", str(self.srv.port("submissions")), "--tlsc", "--auth", "PLAIN"]):
            tok = token()
            toks.append(tok)
            r = subprocess.run(["swaks", "--server", "127.0.0.1", "--from", ALICE,
                                "--to", BOB, "--auth-user", ALICE,
                                "--auth-password", USERS[ALICE],
                                "--header", "Subject: " + tok] + args,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("<~  235 2.7.0 Authentication successful", r.stdout)
        msgs = self.inbox()
        for tok in toks:
            self.assertEqual(len(with_token(msgs, tok)), 1, tok)

    def test_curl(self):
        toks = []
        for url in ("smtp://127.0.0.1:%d" % self.srv.port("submission"),
                    "smtps://127.0.0.1:%d" % self.srv.port("submissions")):
            tok = token()
            toks.append(tok)
            path = os.path.join(self.tmp, tok + ".eml")
            with open(path, "w") as f:
                f.write(message(tok))
            r = subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", self.cert,
                                url, "--mail-from", ALICE, "--mail-rcpt", BOB,
                                "--user", "%s:%s" % (ALICE, USERS[ALICE]),
                                "--upload-file", path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
        msgs = self.inbox()
        for tok in toks:
            self.assertEqual(len(with_token(msgs, tok)), 1, tok)

    # -- brute force ----------------------------------------------------------

    def test_brute_force_throttle(self):
        attacker, other = "127.0.0.3", "127.0.0.4"
        r = self.raw(source=attacker)
        r2 = self.raw(source=attacker)
        for _ in range(THRESHOLD):
            self.assertEqual(r.cmd("AUTH PLAIN " + plain(CAROL, "guess"))[0], 535)
        locked_at = time.monotonic()
        # The Nth attempt is refused unchecked: even the right password,
        # also on a new connection.
        r.send("AUTH PLAIN %s\r\n" % plain(CAROL, USERS[CAROL]))
        r2.send("AUTH PLAIN %s\r\n" % plain(CAROL, USERS[CAROL]))
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (454, "4.7.0"))
        self.assertEqual(r2.reply()[0], 454)
        # The owner, from another address, gets in.
        self.login(CAROL, source=other)
        wait_for_log(self.srv, r'login: proto=smtp user=<carol@example\.test> rip=127\.0\.0\.3 '
                               r'result=fail reason="throttled: too many failures"')
        # The lock expires.
        time.sleep(max(0, LOCKOUT + 0.3 - (time.monotonic() - locked_at)))
        self.login(CAROL, source=attacker)

    def test_account_lock_spares_clean_addresses(self):
        # Connected before the guesses: the account lock lasts only LOCKOUT.
        locked = self.raw("submissions", source="127.0.0.10")
        clean = self.raw("submissions", source="127.0.0.30")

        # Six addresses (twice the per-address threshold) guess once each.
        def guess(addr):
            try:
                # Generous timeout: six argon2id checks queue for the workers.
                r = TLSRaw(self.srv.port("submissions"), timeout=120, source=addr,
                           implicit_ctx=self.ctx)
                try:
                    r.ehlo()
                    results.append(r.cmd("AUTH PLAIN " + plain(ERIN, "guess"))[0])
                finally:
                    r.close()
            except Exception as e:   # reported by the assertion below
                results.append(repr(e))
        results = []
        threads = [threading.Thread(target=guess, args=("127.0.0.%d" % i,))
                   for i in range(10, 10 + 2 * THRESHOLD)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        self.assertEqual(results, [535] * (2 * THRESHOLD))
        # The account is locked for those who guessed, not for a clean address.
        locked.send("AUTH PLAIN %s\r\n" % plain(ERIN, USERS[ERIN]))
        clean.send("AUTH PLAIN %s\r\n" % plain(ERIN, USERS[ERIN]))
        self.assertEqual(clean.reply()[0], 235)
        self.assertEqual(locked.reply()[0], 454)

    # -- credentials cache ----------------------------------------------------

    def timed_login(self, user, password, source):
        r = self.raw("submissions", source=source)
        t0 = time.monotonic()
        code, _ = r.cmd("AUTH PLAIN " + plain(user, password))
        return code, time.monotonic() - t0

    def test_auth_cache(self):
        src = "127.0.0.6"
        code, cold = self.timed_login(DAVE, USERS[DAVE], src)
        self.assertEqual(code, 235)
        hot = min(self.timed_login(DAVE, USERS[DAVE], src)[1] for _ in range(3))
        self.assertLess(hot, cold / 2, (cold, hot))     # no argon2id on a hit
        # A wrong password is never answered from the cache.
        self.assertEqual(self.timed_login(DAVE, "nope", src)[0], 535)
        # The CLI changes the password: the cached login stops working at once.
        new = "dave-new-secret"
        self.srv.cli("user", "passwd", DAVE, input=new + "\n")
        self.assertEqual(self.timed_login(DAVE, USERS[DAVE], src)[0], 535)
        code, cold2 = self.timed_login(DAVE, new, "127.0.0.7")
        self.assertEqual(code, 235)
        code, hot2 = self.timed_login(DAVE, new, "127.0.0.7")
        self.assertEqual(code, 235)
        self.assertLess(hot2, cold2 / 2, (cold2, hot2))


class LoopbackPlaintextTest(unittest.TestCase):
    """plaintext_auth = loopback (the default), no certificate at all."""

    def test_auth_on_loopback_without_tls(self):
        srv = harness.Server(domain=DOMAIN, listen=("smtp", "submission"))
        with srv:
            r = TLSRaw(srv.port("submission"))
            self.addCleanup(r.close)
            ext = r.ehlo()[1:]
            self.assertIn("AUTH PLAIN LOGIN", ext)
            self.assertNotIn("STARTTLS", ext)     # no certificate configured
            self.assertEqual(r.cmd("STARTTLS")[0], 502)
            self.assertEqual(r.cmd("AUTH PLAIN " + plain(ALICE, srv.users[ALICE]))[0], 235)
            self.assertEqual(r.cmd("MAIL FROM:<%s>" % ALICE)[0], 250)
            self.assertEqual(r.cmd("RCPT TO:<%s>" % BOB)[0], 250)
            self.assertEqual(r.cmd("DATA")[0], 354)
            tok = token()
            self.assertEqual(r.cmd(message(tok) + ".")[0], 250)
            r.cmd("QUIT")
            wait_for_log(srv, r"auth=<alice@example\.test> .* result=accepted")


if __name__ == "__main__":
    unittest.main()
