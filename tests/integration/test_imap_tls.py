#!/usr/bin/env python3
"""test_imap_tls.py: TLS for IMAP (STARTTLS, RFC 3501 6.2.1; IMAPS on 993,
RFC 8314) and implicit TLS for submission on 465, with real clients.

Every daemon gets a certificate made by the real CLI (`posthorn cert
selfsigned localhost`): clients verify it as their trust anchor and check
the name "localhost" (mbsync and fetchmail insist on a DNS name and resolve
it with getaddrinfo, so no /etc/hosts entry is needed). Clients: imaplib
(IMAP4_SSL, starttls()), raw sockets with Python's ssl (exact bytes, the
command-injection test), openssl s_client, mbsync, fetchmail, curl and
smtplib. POP3 TLS is test_tls.py; SMTP STARTTLS is test_smtp_tls.py; the
testssl.sh scan is test_tls_testssl.py. This file does not run testssl.sh.
"""
import hashlib
import imaplib
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

DOMAIN = "example.test"
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
HOST = "localhost"  # the certificate's DNS name; the daemon is on 127.0.0.1
LISTEN = ("smtp", "imap", "imaps", "submissions")


def tls_server(extra_config=None):
    """A started harness.Server whose certificate `posthorn cert selfsigned` made."""
    cfg = {"plaintext_auth": "never"}
    cfg.update(extra_config or {})
    srv = harness.Server(domain=DOMAIN, listen=LISTEN, extra_config=cfg)
    srv.cert = os.path.join(srv.tmp, "cert.pem")
    srv.key = os.path.join(srv.tmp, "key.pem")
    srv.extra_config.update({"tls_cert": srv.cert, "tls_key": srv.key})
    srv.write_config()
    out = srv.cli("cert", "selfsigned", HOST).stdout
    assert "self-signed" in out, out
    srv.__enter__()
    return srv


def read_file(path):
    with open(path) as f:
        return f.read()


def file_fingerprint(path):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(read_file(path))).hexdigest()


def token():
    return "t%d%s" % (os.getpid(), os.urandom(6).hex())


def s_client(port, args, data, timeout=60):
    """openssl s_client; returns (exit code, stdout+stderr as text)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-crlf", "-ign_eof"] + args,
                       input=data, capture_output=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def handshake_ok(out):
    m = re.search(r"Cipher is (\S+)", out)
    return m is not None and m.group(1) != "(NONE)"


class ImapRaw:
    """An IMAP connection that can start TLS: exact lines, no client logic."""

    def __init__(self, port, ctx=None, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=HOST)
        self.greeting = self.line()

    def line(self):
        # One byte at a time in the clear: nothing past the line may be
        # consumed before the STARTTLS handshake takes over the socket.
        while b"\n" not in self.buf:
            n = 4096 if isinstance(self.sock, ssl.SSLSocket) else 1
            data = self.sock.recv(n)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, tag, text):
        """Send one command; return all lines up to and including the tagged one."""
        self.send(("%s %s\r\n" % (tag, text)).encode())
        lines = []
        for _ in range(1000):
            line = self.line()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines
        raise AssertionError("no tagged reply: %r" % lines)

    def starttls(self, ctx):
        assert self.buf == b"", self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOST)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ImapTlsCase(unittest.TestCase):
    """One daemon per class, plaintext_auth = never (a public server)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = tls_server()
        cls.imap = cls.srv.port("imap")
        cls.imaps = cls.srv.port("imaps")
        cls.smtps = cls.srv.port("submissions")
        cls.ctx = ssl.create_default_context(cafile=cls.srv.cert)

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def password(self, user=ALICE):
        return self.srv.users[user]

    def deliver_smtp(self, tok, to=ALICE):
        """A message for a local user over port 25 (no TLS needed there)."""
        s = smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30)
        try:
            s.ehlo("client.example")
            s.sendmail("carol@example.net", [to],
                       "From: carol@example.net\r\nTo: %s\r\nSubject: %s\r\n\r\n"
                       "body %s\r\n" % (to, tok, tok))
            s.quit()
        finally:
            s.close()

    def imaps_login(self, user=ALICE, ctx=None):
        m = imaplib.IMAP4_SSL(HOST, self.imaps, ssl_context=ctx or self.ctx, timeout=30)
        m.login(user, self.password(user))
        return m


class TestImapClients(ImapTlsCase):
    """imaplib on 993 and with STARTTLS on 143; LOGINDISABLED; injection."""

    def test_imap4_ssl(self):
        tok = token()
        self.deliver_smtp(tok)
        m = self.imaps_login()
        try:
            self.assertIn(m.sock.version(), ("TLSv1.2", "TLSv1.3"))
            self.assertNotIn("STARTTLS", m.capabilities)
            typ, _ = m.select("INBOX")
            self.assertEqual(typ, "OK")
            typ, data = m.search(None, "SUBJECT", tok)
            self.assertEqual(typ, "OK")
            [num] = data[0].split()
            typ, data = m.fetch(num, "(BODY.PEEK[TEXT])")
            self.assertEqual(data[0][1], ("body %s\r\n" % tok).encode())
        finally:
            m.logout()

    def test_imap4_ssl_wrong_name_refused(self):
        # The certificate is for "localhost": a client checking another name fails.
        with self.assertRaises(ssl.SSLCertVerificationError):
            imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=self.ctx, timeout=30)

    def test_starttls_logindisabled(self):
        m = imaplib.IMAP4(HOST, self.imap, timeout=30)
        try:
            self.assertIn("STARTTLS", m.capabilities)
            self.assertIn("LOGINDISABLED", m.capabilities)
            self.assertFalse([c for c in m.capabilities if c.startswith("AUTH=")],
                             m.capabilities)
            with self.assertRaises(imaplib.IMAP4.error) as e:
                m.login(ALICE, self.password())
            self.assertIn("PRIVACYREQUIRED", str(e.exception))
            typ, _ = m.starttls(ssl_context=self.ctx)
            self.assertEqual(typ, "OK")
            self.assertIn(m.sock.version(), ("TLSv1.2", "TLSv1.3"))
            self.assertNotIn("STARTTLS", m.capabilities)
            self.assertNotIn("LOGINDISABLED", m.capabilities)
            self.assertIn("AUTH=PLAIN", m.capabilities)
            typ, _ = m.login(ALICE, self.password())
            self.assertEqual(typ, "OK")
            self.assertEqual(m.select("INBOX")[0], "OK")
        finally:
            m.logout()

    def test_raw_logindisabled_and_starttls(self):
        c = ImapRaw(self.imap)
        try:
            self.assertTrue(c.greeting.startswith("* OK"), c.greeting)
            caps = c.cmd("a", "CAPABILITY")
            self.assertIn("LOGINDISABLED", caps[0])
            self.assertIn("STARTTLS", caps[0])
            r = c.cmd("b", 'LOGIN "%s" "%s"' % (ALICE, self.password()))
            self.assertEqual(r[-1], "b NO [PRIVACYREQUIRED] Plaintext authentication "
                                    "is disallowed without TLS.")
            r = c.cmd("c", "AUTHENTICATE PLAIN")
            self.assertTrue(r[-1].startswith("c NO"), r)
            self.assertEqual(c.cmd("d", "STARTTLS"), ["d OK Begin TLS negotiation now."])
            c.starttls(self.ctx)
            caps = c.cmd("e", "CAPABILITY")
            self.assertNotIn("LOGINDISABLED", caps[0])
            self.assertNotIn("STARTTLS", caps[0])
            r = c.cmd("f", "STARTTLS")
            self.assertEqual(r[-1], "f BAD TLS is already active.")
            r = c.cmd("g", 'LOGIN "%s" "%s"' % (ALICE, self.password()))
            self.assertTrue(r[-1].startswith("g OK"), r)
            c.cmd("h", "LOGOUT")
        finally:
            c.close()

    def test_starttls_discards_pipelined_command(self):
        """The IMAP sibling of CVE-2011-0411: `b CAPABILITY` sent with
        STARTTLS in one packet must not be answered after the handshake."""
        c = ImapRaw(self.imap)
        try:
            c.send(b"a STARTTLS\r\nb CAPABILITY\r\n")
            self.assertEqual(c.line(), "a OK Begin TLS negotiation now.")
            c.starttls(self.ctx)
            # Had the injected command run, its "* CAPABILITY" and "b OK"
            # would come before the reply to this NOOP.
            r = c.cmd("c", "NOOP")
            self.assertEqual(len(r), 1, r)
            self.assertTrue(r[0].startswith("c OK"), r)
            # Sent again over TLS, CAPABILITY is answered (once).
            r = c.cmd("b", "CAPABILITY")
            self.assertEqual(len(r), 2, r)
            self.assertTrue(r[0].startswith("* CAPABILITY "), r)
            self.assertNotIn("STARTTLS", r[0])
            self.assertTrue(r[1].startswith("b OK"), r)
        finally:
            c.close()


class TestOpensslClient(ImapTlsCase):
    """openssl s_client: STARTTLS on 143, implicit TLS on 993 and 465."""

    def verify_args(self):
        return ["-CAfile", self.srv.cert, "-verify_hostname", HOST, "-verify_return_error"]

    def test_starttls_imap(self):
        rc, out = s_client(self.imap, ["-starttls", "imap"] + self.verify_args(),
                           b"a CAPABILITY\na LOGOUT\n")
        self.assertEqual(rc, 0, out)
        self.assertTrue(handshake_ok(out), out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("a OK", out)
        self.assertIn("* BYE", out)

    def test_imaps(self):
        rc, out = s_client(self.imaps, self.verify_args(), b"a LOGOUT\n")
        self.assertEqual(rc, 0, out)
        self.assertTrue(handshake_ok(out), out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("* OK", out)
        self.assertIn("* BYE", out)

    def test_smtps(self):
        rc, out = s_client(self.smtps, self.verify_args(), b"EHLO client.example\nQUIT\n")
        self.assertEqual(rc, 0, out)
        self.assertTrue(handshake_ok(out), out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("250 AUTH PLAIN LOGIN", out)
        self.assertIn("221", out)

    def test_tls11_refused(self):
        for name, port in (("imaps", self.imaps), ("submissions", self.smtps)):
            for proto in ("-tls1", "-tls1_1"):
                with self.subTest(port=name, proto=proto):
                    rc, out = s_client(port, [proto, "-cipher", "DEFAULT@SECLEVEL=0"],
                                       b"")
                    self.assertNotEqual(rc, 0, out)
                    self.assertFalse(handshake_ok(out), out)
                    self.assertIn("protocol version", out)

    def test_tls12_and_13_accepted(self):
        for name, port in (("imaps", self.imaps), ("submissions", self.smtps)):
            for proto, ver in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
                with self.subTest(port=name, proto=proto):
                    rc, out = s_client(port, [proto] + self.verify_args(),
                                       b"a LOGOUT\n" if name == "imaps" else b"QUIT\n")
                    self.assertEqual(rc, 0, out)
                    self.assertIn("New, %s" % ver, out)


class TestSyncClients(ImapTlsCase):
    """mbsync, fetchmail and curl over TLS, each fetching an SMTP-delivered message."""

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="posthorn-imaptls-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def mbsync(self, ssltype, port, user):
        tmp = self.tmpdir()
        maildir = os.path.join(tmp, "mail") + "/"
        os.mkdir(maildir)
        rc = os.path.join(tmp, "mbsyncrc")
        with open(rc, "w") as f:
            f.write("IMAPAccount remote\n"
                    "Host %s\nPort %d\nUser %s\nPass %s\n"
                    "SSLType %s\nSSLVersions TLSv1.2 TLSv1.3\nCertificateFile %s\n"
                    "AuthMechs LOGIN PLAIN\n\n"
                    "IMAPStore remote-store\nAccount remote\n\n"
                    "MaildirStore local\nPath %s\nInbox %sINBOX\n\n"
                    "Channel sync\nFar :remote-store:\nNear :local:\n"
                    "Patterns INBOX\nCreate Near\nSync Pull\nSyncState *\n"
                    % (HOST, port, user, self.password(user), ssltype,
                       self.srv.cert, maildir, maildir))
        env = dict(os.environ, HOME=tmp)
        res = subprocess.run(["mbsync", "-c", rc, "-V", "-a"], capture_output=True,
                             text=True, timeout=120, env=env)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 0, out)
        msgs = b""
        for sub in ("new", "cur"):
            d = os.path.join(maildir, "INBOX", sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    msgs += f.read()
        return out, msgs

    def test_mbsync_imaps(self):
        tok = token()
        self.deliver_smtp(tok, BOB)
        out, msgs = self.mbsync("IMAPS", self.imaps, BOB)
        self.assertIn(("body %s" % tok).encode(), msgs, out)
        self.assertIn("Connection is now encrypted", out)

    def test_mbsync_starttls(self):
        tok = token()
        self.deliver_smtp(tok, BOB)
        out, msgs = self.mbsync("STARTTLS", self.imap, BOB)
        self.assertIn(("body %s" % tok).encode(), msgs, out)
        # Port 143 refuses LOGIN in the clear (LOGINDISABLED): it went over TLS.
        self.assertIn("Connection is now encrypted", out)

    def fetchmail(self, port, options, user):
        tmp = self.tmpdir()
        mbox = os.path.join(tmp, "mbox")
        rc = os.path.join(tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('set no bouncemail\n'
                    'poll %s with proto IMAP port %d auth password\n'
                    '  user "%s" there with password "%s" is "root" here\n'
                    '  options keep %s\n'
                    '  mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (HOST, port, user, self.password(user), options, mbox))
        os.chmod(rc, 0o600)
        env = dict(os.environ, FETCHMAILHOME=tmp, HOME=tmp)
        res = subprocess.run(["fetchmail", "-f", rc, "--pidfile",
                              os.path.join(tmp, "fetchmail.pid"), "-v", "--nodetach"],
                             capture_output=True, text=True, timeout=120, env=env)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 0, out)
        data = read_file(mbox) if os.path.exists(mbox) else ""
        return out, data

    def test_fetchmail_imap_starttls(self):
        tok = token()
        self.deliver_smtp(tok)
        out, data = self.fetchmail(self.imap, 'sslproto "auto" sslcertck sslcertfile %s'
                                   % self.srv.cert, ALICE)
        self.assertIn("body %s" % tok, data)
        self.assertIn("IMAP> A0001 STARTTLS", out)
        self.assertIn("upgrade to TLS succeeded", out)

    def test_fetchmail_imaps(self):
        tok = token()
        self.deliver_smtp(tok)
        out, data = self.fetchmail(self.imaps, "ssl sslcertck sslcertfile %s"
                                   % self.srv.cert, ALICE)
        self.assertIn("body %s" % tok, data)
        self.assertNotIn("IMAP> A0001 STARTTLS", out)

    def curl(self, url, port, *extra):
        r = subprocess.run(["curl", "-sS", "--max-time", "60", "--cacert", self.srv.cert,
                            "--resolve", "%s:%d:127.0.0.1" % (HOST, port),
                            "--user", "%s:%s" % (BOB, self.password(BOB))]
                           + list(extra) + [url], capture_output=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def newest_uid(self, user):
        m = self.imaps_login(user)
        try:
            m.select("INBOX", readonly=True)
            typ, data = m.uid("SEARCH", None, "ALL")
            return int(data[0].split()[-1])
        finally:
            m.logout()

    def test_curl_imaps(self):
        tok = token()
        self.deliver_smtp(tok, BOB)
        uid = self.newest_uid(BOB)
        body = self.curl("imaps://%s:%d/INBOX;UID=%d" % (HOST, self.imaps, uid), self.imaps)
        self.assertIn(("body %s" % tok).encode(), body)

    def test_curl_imap_ssl_reqd(self):
        tok = token()
        self.deliver_smtp(tok, BOB)
        uid = self.newest_uid(BOB)
        body = self.curl("imap://%s:%d/INBOX;UID=%d" % (HOST, self.imap, uid), self.imap,
                         "--ssl-reqd")
        self.assertIn(("body %s" % tok).encode(), body)


class TestSubmissionsReceived(ImapTlsCase):
    """A message submitted on 465 names TLS and ESMTPSA in Received: and
    comes back over IMAPS byte for byte."""

    def test_received_and_byte_exact(self):
        tok = token()
        sent = ("From: %s\r\nTo: %s\r\nSubject: %s\r\n"
                "Date: Sun, 22 Nov 2026 19:01:00 +0000\r\nMessage-ID: <%s@client>\r\n"
                "\r\nbody %s\r\n\r\n.. a dot line\r\n\tand\ttabs \xe9\r\n"
                % (ALICE, BOB, tok, tok, tok)).encode("latin-1")
        s = smtplib.SMTP_SSL(HOST, self.smtps, context=self.ctx, timeout=30)
        try:
            s.ehlo("client.example")
            s.login(ALICE, self.password())
            s.sendmail(ALICE, [BOB], sent)
            s.quit()
        finally:
            s.close()
        m = self.imaps_login(BOB)
        try:
            m.select("INBOX", readonly=True)
            typ, data = m.search(None, "SUBJECT", tok)
            [num] = data[0].split()
            typ, data = m.fetch(num, "(RFC822.SIZE BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            got = data[0][1]
            size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
        finally:
            m.logout()
        self.assertEqual(len(got), size)
        self.assertTrue(got.endswith(sent), got)
        trace = got[:-len(sent)]
        self.assertRegex(trace, rb"^Return-Path: <alice@example\.test>\r\n"
                                rb"Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n"
                                rb"\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n"
                                rb"\tby mail\.example\.test \(Posthorn\) with ESMTPSA id ")


class TestReload(unittest.TestCase):
    """SIGHUP with a new certificate: a new IMAPS connection presents it;
    an IMAPS session selected before the reload goes on working."""

    def setUp(self):
        self.srv = tls_server()
        self.addCleanup(self.srv.__exit__, None, None, None)

    def peer_fingerprint(self):
        ctx = ssl._create_unverified_context()
        with socket.create_connection(("127.0.0.1", self.srv.port("imaps")), 10) as s:
            with ctx.wrap_socket(s, server_hostname=HOST) as t:
                return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()

    def test_sighup_new_certificate(self):
        srv = self.srv
        srv.cli("deliver", ALICE, input="Subject: before\n\nbefore reload\n")
        old_fp = file_fingerprint(srv.cert)
        self.assertEqual(self.peer_fingerprint(), old_fp)
        old_ctx = ssl.create_default_context(cafile=srv.cert)
        m = imaplib.IMAP4_SSL(HOST, srv.port("imaps"), ssl_context=old_ctx, timeout=30)
        m.login(ALICE, srv.users[ALICE])
        self.assertEqual(m.select("INBOX")[0], "OK")
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], b"before reload\r\n")

        out = srv.cli("cert", "selfsigned", HOST, "--force").stdout
        new_fp = file_fingerprint(srv.cert)
        self.assertNotEqual(new_fp, old_fp)
        self.assertIn(":".join(re.findall("..", new_fp.upper())), out)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while "reload: certificate loaded" not in srv.log():
            self.assertLess(time.time(), deadline, srv.log())
            time.sleep(0.1)
        self.assertEqual(self.peer_fingerprint(), new_fp)
        # The old trust anchor no longer verifies a new connection; the new one does.
        with self.assertRaises(ssl.SSLCertVerificationError):
            imaplib.IMAP4_SSL(HOST, srv.port("imaps"), ssl_context=old_ctx, timeout=30)
        new_ctx = ssl.create_default_context(cafile=srv.cert)
        m2 = imaplib.IMAP4_SSL(HOST, srv.port("imaps"), ssl_context=new_ctx, timeout=30)
        m2.login(ALICE, srv.users[ALICE])
        m2.logout()

        # The established session: still selected, still answering.
        srv.cli("deliver", ALICE, input="Subject: after\n\nafter reload\n")
        typ, _ = m.noop()
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("1:2", "(BODY.PEEK[TEXT])")
        self.assertEqual(typ, "OK")
        bodies = [d[1] for d in data if isinstance(d, tuple)]
        self.assertEqual(bodies, [b"before reload\r\n", b"after reload\r\n"])
        self.assertEqual(m.logout()[0], "BYE")


if __name__ == "__main__":
    unittest.main()
