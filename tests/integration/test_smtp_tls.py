#!/usr/bin/env python3
"""test_smtp_tls.py: TLS on the SMTP ports against a real posthornd:
STARTTLS (RFC 3207) on listen_smtp and listen_submission, implicit TLS
(RFC 8314) on listen_submissions, the protocol and cipher policy, the
STARTTLS command injection (CVE-2011-0411), and the Received header of a
TLS session on port 25.

Clients: the openssl CLI (s_client -starttls smtp), Python's ssl and
smtplib, and raw sockets where the exact bytes matter. The certificate is
a fresh self-signed one made with the openssl CLI in a temporary directory.

The helpers here (make_cert, tls_server, TLSRaw, pop3s_messages) are also
used by test_submission.py.
"""
import os
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_smtp import Raw, token, with_token, header_block  # noqa: E402

DOMAIN = "example.test"
HOSTNAME = "mail." + DOMAIN
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN

# ---------------------------------------------------------------- helpers


def make_cert(directory):
    """A self-signed certificate for HOSTNAME (and IP 127.0.0.1): (cert, key)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + HOSTNAME,
                    "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % HOSTNAME],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def tls_server(cert, key, listen=("smtp", "submission", "submissions", "pop3s"),
               **extra):
    """A harness.Server with TLS and the SMTP ports (not started)."""
    cfg = {"tls_cert": cert, "tls_key": key}
    cfg.update({k: str(v) for k, v in extra.items()})
    return harness.Server(domain=DOMAIN, extra_config=cfg, listen=listen)


def client_context(cert):
    """A client context that trusts only our certificate and checks the name."""
    ctx = ssl.create_default_context(cafile=cert)
    return ctx


class TLSRaw(Raw):
    """A raw SMTP connection that can switch to TLS (STARTTLS or implicit)."""

    def __init__(self, port, timeout=20, source=None, implicit_ctx=None):
        if source is None and implicit_ctx is None:
            super().__init__(port, timeout)
            return
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout,
            source_address=(source, 0) if source else None)
        if implicit_ctx is not None:
            self.sock = implicit_ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()

    def starttls(self, ctx):
        """STARTTLS and the handshake; returns the 220 reply."""
        code, text = self.cmd("STARTTLS")
        assert code == 220, (code, text)
        self.wrap(ctx)
        return code, text

    def wrap(self, ctx):
        self.f.close()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)
        self.f = self.sock.makefile("rb")


def pop3s_messages(server, ctx, user, password):
    """All messages of user's INBOX over POP3S, as bytes with CRLF line ends."""
    p = poplib.POP3_SSL("127.0.0.1", server.port("pop3s"), context=ctx, timeout=30)
    try:
        p.user(user)
        p.pass_(password)
        count, _ = p.stat()
        msgs = []
        for i in range(1, count + 1):
            _, lines, _ = p.retr(i)
            msgs.append(b"\r\n".join(lines) + b"\r\n")
        return msgs
    finally:
        p.quit()


def s_client(port, *args, data=b"QUIT\r\n"):
    """openssl s_client; returns (exit status, stdout + stderr as text).

    The exit status is 0 only when the session ended cleanly: OpenSSL 3
    reports a server that hangs up without a TLS close_notify as
    "unexpected eof", status 1.
    """
    # -ign_eof: send data, then wait for the server to close (after QUIT).
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", HOSTNAME, "-ign_eof"] + list(args),
                       input=data, capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


# ------------------------------------------------------------------ tests

class SMTPTLSTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="posthorn-tls-")
        cls.cert, cls.key = make_cert(cls.tmp)
        cls.srv = tls_server(cls.cert, cls.key)
        cls.srv.__enter__()
        cls.ctx = client_context(cls.cert)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.__exit__(None, None, None)
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def raw(self, kind="smtp", **kw):
        r = TLSRaw(self.srv.port(kind), **kw)
        self.addCleanup(r.close)
        return r

    # -- handshakes -------------------------------------------------------

    def test_s_client_starttls(self):
        for kind in ("smtp", "submission"):
            rc, out = s_client(self.srv.port(kind), "-starttls", "smtp",
                               "-CAfile", self.cert, "-verify_return_error",
                               data=b"EHLO client.example\r\nQUIT\r\n")
            self.assertEqual(rc, 0, out)
            self.assertIn("Verify return code: 0 (ok)", out)
            self.assertRegex(out, r"New, TLSv1\.[23], Cipher is ")
            self.assertIn("221 2.0.0 %s Bye" % HOSTNAME, out)

    def test_s_client_implicit_tls(self):
        rc, out = s_client(self.srv.port("submissions"), "-CAfile", self.cert,
                           "-verify_return_error",
                           data=b"EHLO client.example\r\nQUIT\r\n")
        self.assertEqual(rc, 0, out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("220 %s ESMTP Posthorn" % HOSTNAME, out)
        self.assertIn("221 2.0.0", out)

    def test_old_protocols_and_weak_ciphers_refused(self):
        # The client side allows them (SECLEVEL=0); the server must not.
        for proto in ("-tls1", "-tls1_1"):
            for kind, args in (("smtp", ["-starttls", "smtp"]), ("submissions", [])):
                rc, out = s_client(self.srv.port(kind), proto, "-cipher",
                                   "DEFAULT@SECLEVEL=0", *args)
                self.assertNotEqual(rc, 0, (proto, kind, out))
                self.assertIn("Cipher is (NONE)", out)
        # TLS 1.2 without forward secrecy / with CBC-SHA1: refused too.
        for cipher in ("ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256"):
            rc, out = s_client(self.srv.port("submissions"), "-tls1_2",
                               "-cipher", cipher)
            self.assertNotEqual(rc, 0, (cipher, out))
        # TLS 1.2 with an intermediate cipher works.
        rc, out = s_client(self.srv.port("submissions"), "-tls1_2")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"New, TLSv1\.2, Cipher is ECDHE-ECDSA-"
                              r"(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)")
        self.assertIn("221 2.0.0", out)

    def test_python_ssl_and_ehlo_keywords(self):
        s = smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30)
        self.addCleanup(s.close)
        s.ehlo("client.example")
        self.assertTrue(s.has_extn("starttls"))
        self.assertFalse(s.has_extn("auth"))          # port 25: never
        code, _ = s.starttls(context=self.ctx)
        self.assertEqual(code, 220)
        self.assertIn(s.sock.version(), ("TLSv1.2", "TLSv1.3"))
        s.ehlo("client.example")
        self.assertFalse(s.has_extn("starttls"))      # already on
        self.assertFalse(s.has_extn("auth"))
        self.assertEqual(s.docmd("AUTH", "PLAIN")[0], 502)
        self.assertEqual(s.docmd("STARTTLS")[0], 503)
        s.quit()

    def test_submissions_keywords(self):
        r = self.raw("submissions", implicit_ctx=self.ctx)
        self.assertEqual(r.greeting[0], 220)
        ext = r.ehlo()[1:]
        self.assertIn("AUTH PLAIN LOGIN", ext)
        self.assertNotIn("STARTTLS", ext)
        self.assertEqual(r.cmd("STARTTLS")[0], 503)

    def test_starttls_sequence_and_syntax(self):
        r = self.raw()
        self.assertEqual(r.cmd("STARTTLS")[0], 503)   # before EHLO
        r.ehlo()
        self.assertEqual(r.cmd("STARTTLS now")[0], 501)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 250)
        self.assertEqual(r.cmd("STARTTLS")[0], 503)   # inside a transaction
        self.assertEqual(r.cmd("RSET")[0], 250)
        code, text = r.starttls(self.ctx)
        self.assertEqual(text, ["2.0.0 Ready to start TLS"])
        # RFC 3207 4.2: the EHLO before TLS is forgotten.
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 503)
        r.ehlo()
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 250)
        self.assertEqual(r.cmd("QUIT")[0], 221)

    # -- CVE-2011-0411 ------------------------------------------------------

    def test_starttls_command_injection(self):
        # Plaintext pipelined after STARTTLS must be dropped, not run over TLS.
        for kind in ("smtp", "submission"):
            for injected in ("RSET", "HELP", "MAIL FROM:<evil@example.net>"):
                r = self.raw(kind)
                r.ehlo()
                r.send("STARTTLS\r\n%s\r\n" % injected)
                self.assertEqual(r.reply()[0], 220)
                r.wrap(self.ctx)
                # The first reply over TLS answers our EHLO, not the injection.
                code, lines = r.cmd("EHLO client.example")
                self.assertEqual((code, lines[0]), (250, HOSTNAME), (kind, injected))
                # And nothing else is queued behind it.
                self.assertEqual(r.cmd("NOOP"), (250, ["2.0.0 OK"]))
                if kind == "smtp":   # no transaction was opened by injection
                    self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 250)
                self.assertEqual(r.cmd("QUIT")[0], 221)

    # -- trace header -------------------------------------------------------

    def test_received_shows_tls_on_port_25(self):
        tok = token()
        s = smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30)
        self.addCleanup(s.close)
        s.ehlo("client.example")
        s.starttls(context=self.ctx)
        s.ehlo("client.example")
        msg = ("From: Carol <carol@example.net>\r\nTo: %s\r\nSubject: %s\r\n"
               "Message-ID: <%s@example.net>\r\n\r\nhello\r\n" % (ALICE, tok, tok))
        s.sendmail("carol@example.net", [ALICE], msg)
        s.quit()
        [m] = with_token(pop3s_messages(self.srv, self.ctx, ALICE,
                                        self.srv.users[ALICE]), tok)
        hdr = header_block(m)
        self.assertRegex(hdr, rb"Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n"
                              rb"\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n"
                              rb"\tby mail\.example\.test \(Posthorn\) with ESMTPS id ")
        # Inbound mail is not touched: no Date added, the Message-ID kept.
        self.assertNotIn(b"\r\nDate:", hdr)
        self.assertEqual(hdr.count(b"Message-ID:"), 1)


if __name__ == "__main__":
    unittest.main()
