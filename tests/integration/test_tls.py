#!/usr/bin/env python3
"""test_tls.py: TLS for POP3 (STLS, RFC 2595; POP3S, RFC 8314) and the
certificate handling of posthornd and `posthorn cert selfsigned`.

Every daemon gets a certificate made by the real CLI (`posthorn cert
selfsigned localhost`); clients verify it as their trust anchor and check
the name, as fetchmail and mbsync insist on a DNS name (CLIENTS.md).
Clients: raw sockets with Python's ssl (exact bytes), openssl s_client
(-starttls pop3, protocol and cipher probes), poplib, curl and fetchmail.
The testssl.sh scan is in test_tls_testssl.py so it runs beside this file.
"""
import base64
import hashlib
import os
import poplib
import re
import shutil
import signal
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
HOST = "localhost"  # the certificate's DNS name; connections go to 127.0.0.1


def tls_server(extra_config=None, rsa=False, listen=("smtp", "pop3", "pop3s")):
    """A started harness.Server whose certificate `posthorn cert selfsigned` made."""
    srv = harness.Server(domain=DOMAIN, listen=listen, extra_config=extra_config)
    srv.cert = os.path.join(srv.tmp, "cert.pem")
    srv.key = os.path.join(srv.tmp, "key.pem")
    srv.extra_config.update({"tls_cert": srv.cert, "tls_key": srv.key})
    srv.write_config()
    args = ["cert", "selfsigned", HOST] + (["--rsa"] if rsa else [])
    out = srv.cli(*args).stdout
    assert "self-signed" in out, out
    srv.__enter__()
    return srv


def read_file(path):
    with open(path) as f:
        return f.read()


def client_context(cafile, minv=None, maxv=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if minv:
        ctx.minimum_version = minv
    if maxv:
        ctx.maximum_version = maxv
    return ctx


def file_fingerprint(path):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(read_file(path))).hexdigest()


class Pop3Conn:
    """A POP3 connection that can start TLS: exact lines, no client logic."""

    def __init__(self, port, ctx=None, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        if ctx is not None:  # implicit TLS (POP3S)
            self.sock = ctx.wrap_socket(self.sock, server_hostname=HOST)
        self.greeting = self.line()

    def line(self):
        # recv() in small steps: nothing past the line may be consumed
        # before a STLS handshake takes over the socket.
        while b"\n" not in self.buf:
            data = self.sock.recv(1 if not isinstance(self.sock, ssl.SSLSocket) else 4096)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def multiline(self):
        lines = []
        while True:
            line = self.line()
            if line == ".":
                return lines
            lines.append(line[1:] if line.startswith("..") else line)

    def capa(self):
        r = self.cmd("CAPA")
        assert r.startswith("+OK"), r
        return self.multiline()

    def starttls(self, ctx):
        assert self.buf == b"", self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOST)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def s_client(port, args, data=b"QUIT\n", timeout=60):
    """openssl s_client; returns (exit code, stdout+stderr as text)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-crlf", "-ign_eof"] + args,
                       input=data, capture_output=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def handshake_ok(out):
    """True when s_client negotiated a cipher (not "Cipher is (NONE)")."""
    m = re.search(r"Cipher is (\S+)", out)
    return m is not None and m.group(1) != "(NONE)"


class TlsCase(unittest.TestCase):
    """One daemon per class with plaintext_auth = never (a public server)."""

    extra_config = {"plaintext_auth": "never"}
    rsa = False

    @classmethod
    def setUpClass(cls):
        cls.srv = tls_server(dict(cls.extra_config), rsa=cls.rsa)
        cls.pop3 = cls.srv.port("pop3")
        cls.pop3s = cls.srv.port("pop3s")
        cls.ctx = client_context(cls.srv.cert)

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def password(self, user=ALICE):
        return self.srv.users[user]

    def deliver(self, subject, body, to=ALICE):
        self.srv.cli("deliver", to, input="From: carol@example.net\nTo: %s\n"
                     "Subject: %s\n\n%s\n" % (to, subject, body))

    def empty(self, user=ALICE):
        p = poplib.POP3_SSL(HOST, self.pop3s, context=self.ctx, timeout=20)
        try:
            p.user(user)
            p.pass_(self.password(user))
            for i in range(1, p.stat()[0] + 1):
                p.dele(i)
        finally:
            p.quit()


class TestStls(TlsCase):
    """STLS on the POP3 port (RFC 2595) and what changes with TLS."""

    def test_capa_before_and_after_stls(self):
        c = Pop3Conn(self.pop3)
        try:
            self.assertEqual(c.greeting, "+OK Posthorn POP3 ready")
            caps = c.capa()
            self.assertIn("STLS", caps)
            # No password mechanism is offered in the clear.
            self.assertNotIn("USER", caps)
            self.assertFalse([x for x in caps if x.startswith("SASL")], caps)
            self.assertTrue(c.cmd("USER " + ALICE).startswith(
                "-ERR [AUTH] Plaintext authentication disallowed"))
            self.assertTrue(c.cmd("AUTH PLAIN").startswith("-ERR [AUTH]"))
            self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation now.")
            c.starttls(self.ctx)
            self.assertIn(c.sock.version(), ("TLSv1.2", "TLSv1.3"))
            caps = c.capa()
            self.assertNotIn("STLS", caps)
            self.assertIn("USER", caps)
            self.assertIn("SASL PLAIN LOGIN", caps)
            self.assertTrue(c.cmd("STLS").startswith("-ERR"))  # TLS is on
            self.assertTrue(c.cmd("USER " + ALICE).startswith("+OK"))
            self.assertEqual(c.cmd("PASS " + self.password()), "+OK Logged in.")
            # RFC 2595 4: STLS only in AUTHORIZATION.
            self.assertTrue(c.cmd("STLS").startswith("-ERR"))
            self.assertTrue(c.cmd("NOOP").startswith("+OK"))
            self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        finally:
            c.close()

    def test_stls_discards_pipelined_plaintext(self):
        """CVE-2011-0411 for POP3: a USER sent with STLS must not survive it."""
        attempts = self.srv.log().count("login: proto=pop3 user=<%s>" % ALICE)
        c = Pop3Conn(self.pop3)
        try:
            c.send(("STLS\r\nUSER %s\r\n" % ALICE).encode())
            self.assertEqual(c.line(), "+OK Begin TLS negotiation now.")
            c.starttls(self.ctx)
            # Had the injected USER run after the handshake, its "+OK"
            # would come first and this PASS would be a login attempt.
            self.assertEqual(c.cmd("PASS " + self.password()),
                             "-ERR No user name given (send USER first).")
            self.assertTrue(c.cmd("NOOP").startswith("-ERR"))  # not logged in
            self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        finally:
            c.close()
        # No login was attempted at all.
        self.assertEqual(self.srv.log().count("login: proto=pop3 user=<%s>" % ALICE),
                         attempts)

    def test_stls_then_injected_capa(self):
        """Pipelined CAPA after STLS: the first reply over TLS is to our NOOP."""
        c = Pop3Conn(self.pop3)
        try:
            c.send(b"STLS\r\nCAPA\r\nQUIT\r\n")
            self.assertEqual(c.line(), "+OK Begin TLS negotiation now.")
            c.starttls(self.ctx)
            self.assertEqual(c.cmd("NOOP"), "-ERR Not logged in.")
        finally:
            c.close()

    def test_poplib_stls(self):
        self.empty()
        self.deliver("stls", "fetched over STLS")
        p = poplib.POP3(HOST, self.pop3, timeout=20)
        try:
            self.assertIn("STLS", p.capa())
            p.stls(self.ctx)
            self.assertNotIn("STLS", p.capa())
            p.user(ALICE)
            self.assertTrue(p.pass_(self.password()).startswith(b"+OK"))
            self.assertEqual(p.stat()[0], 1)
            self.assertIn(b"fetched over STLS", b"\n".join(p.retr(1)[1]))
        finally:
            self.assertTrue(p.quit().startswith(b"+OK"))

    def test_stls_wrong_name_refused_by_client(self):
        """The certificate names localhost only: a client checking names says no."""
        ctx = client_context(self.srv.cert)
        c = Pop3Conn(self.pop3)
        try:
            self.assertTrue(c.cmd("STLS").startswith("+OK"))
            with self.assertRaises(ssl.SSLCertVerificationError):
                c.sock = ctx.wrap_socket(c.sock, server_hostname="mail.other.test")
        finally:
            c.close()

    def test_openssl_starttls_pop3(self):
        rc, out = s_client(self.pop3, ["-starttls", "pop3", "-CAfile", self.srv.cert,
                                       "-verify_return_error", "-verify_hostname", HOST],
                           data=b"CAPA\nQUIT\n")
        self.assertEqual(rc, 0, out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertTrue(handshake_ok(out), out)
        self.assertIn("SASL PLAIN LOGIN", out)
        self.assertIn("+OK Logging out.", out)

    def test_plaintext_login_refused_by_clients(self):
        """plaintext_auth = never: poplib and curl cannot log in without TLS."""
        p = poplib.POP3(HOST, self.pop3, timeout=20)
        try:
            with self.assertRaises(poplib.error_proto) as cm:
                p.user(ALICE)
            self.assertIn(b"[AUTH]", cm.exception.args[0])
        finally:
            p.quit()
        r = subprocess.run(["curl", "-s", "-S", "pop3://%s:%d/" % (HOST, self.pop3),
                            "-u", "%s:%s" % (ALICE, self.password())],
                           capture_output=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout)


class TestPop3s(TlsCase):
    """Implicit TLS on the POP3S port (RFC 8314)."""

    def test_poplib_pop3s(self):
        self.empty()
        self.deliver("pop3s", "fetched over POP3S")
        p = poplib.POP3_SSL(HOST, self.pop3s, context=self.ctx, timeout=20)
        try:
            caps = p.capa()
            self.assertNotIn("STLS", caps)
            self.assertIn("USER", caps)
            self.assertEqual(caps.get("SASL"), ["PLAIN", "LOGIN"])
            p.user(ALICE)
            p.pass_(self.password())
            self.assertIn(b"fetched over POP3S", b"\n".join(p.retr(1)[1]))
            with self.assertRaises(poplib.error_proto):  # TLS is already on
                p._shortcmd("STLS")
        finally:
            self.assertTrue(p.quit().startswith(b"+OK"))

    def test_auth_plain_thunderbird(self):
        """Thunderbird: CAPA, AUTH PLAIN, wait for "+ ", then the blob."""
        blob = base64.b64encode(("\0%s\0%s" % (ALICE, self.password())).encode()).decode()
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            self.assertIn("SASL PLAIN LOGIN", c.capa())
            self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
            self.assertEqual(c.cmd(blob), "+OK Logged in.")
            self.assertTrue(c.cmd("STAT").startswith("+OK"))
            self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        finally:
            c.close()

    def test_auth_plain_variants(self):
        pw = self.password()
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            # "*" cancels (RFC 5034 4) and leaves the session usable.
            self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
            self.assertEqual(c.cmd("*"), "-ERR [AUTH] Authentication cancelled.")
            # Undecodable responses are refused.
            self.assertTrue(c.cmd("AUTH PLAIN !!!!").startswith("-ERR"))
            self.assertTrue(c.cmd("AUTH PLAIN =").startswith("-ERR"))
            self.assertTrue(c.cmd("AUTH CRAM-MD5").startswith("-ERR"))
            # Acting as bob with alice's password: no proxy logins.
            other = base64.b64encode(("%s\0%s\0%s" % (BOB, ALICE, pw)).encode()).decode()
            self.assertTrue(c.cmd("AUTH PLAIN " + other).startswith("-ERR [AUTH]"))
            # A bare AUTH lists the mechanisms (old Outlook).
            self.assertTrue(c.cmd("AUTH").startswith("+OK"))
            self.assertEqual(c.multiline(), ["PLAIN", "LOGIN"])
            # With an initial response (authzid = authcid), as curl may send it.
            ir = base64.b64encode(("%s\0%s\0%s" % (ALICE, ALICE, pw)).encode()).decode()
            self.assertEqual(c.cmd("AUTH PLAIN " + ir), "+OK Logged in.")
            self.assertTrue(c.cmd("AUTH PLAIN " + ir).startswith("-ERR"))  # logged in
            c.cmd("QUIT")
        finally:
            c.close()

    def test_auth_login(self):
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            self.assertEqual(c.cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6")
            self.assertEqual(c.cmd(base64.b64encode(BOB.encode()).decode()),
                             "+ UGFzc3dvcmQ6")
            self.assertEqual(c.cmd(base64.b64encode(self.password(BOB).encode()).decode()),
                             "+OK Logged in.")
            c.cmd("QUIT")
        finally:
            c.close()

    def test_auth_wrong_password(self):
        blob = base64.b64encode(("\0%s\0wrong" % BOB).encode()).decode()
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            self.assertTrue(c.cmd("AUTH PLAIN " + blob).startswith("-ERR [AUTH]"))
            c.cmd("QUIT")
        finally:
            c.close()

    def test_openssl_implicit(self):
        rc, out = s_client(self.pop3s, ["-CAfile", self.srv.cert, "-verify_return_error",
                                        "-verify_hostname", HOST])
        self.assertEqual(rc, 0, out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("+OK Posthorn POP3 ready", out)
        self.assertIn("+OK Logging out.", out)

    def test_plaintext_on_pop3s(self):
        """A client speaking POP3 in the clear to 995 gets no greeting and is dropped."""
        with socket.create_connection(("127.0.0.1", self.pop3s), 10) as s:
            s.settimeout(10)
            s.sendall(b"CAPA\r\nQUIT\r\n")
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            self.assertNotIn(b"+OK", data)
        self.empty()  # and the daemon still serves others

    def test_curl(self):
        self.empty()
        self.deliver("curl", "fetched by curl")
        auth = "%s:%s" % (ALICE, self.password())
        for url, extra in (("pop3s://%s:%d/" % (HOST, self.pop3s), []),
                           ("pop3://%s:%d/" % (HOST, self.pop3), ["--ssl-reqd"])):
            with self.subTest(url=url):
                r = subprocess.run(["curl", "-s", "-S", "--cacert", self.srv.cert] + extra
                                   + [url, "-u", auth], capture_output=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout.split()[0], b"1")
                r = subprocess.run(["curl", "-s", "-S", "--cacert", self.srv.cert] + extra
                                   + [url + "1", "-u", auth], capture_output=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(b"fetched by curl", r.stdout)

    def test_python_tls_versions(self):
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(version=v):
                ctx = client_context(self.srv.cert, v, v)
                c = Pop3Conn(self.pop3s, ctx)
                try:
                    self.assertEqual(c.sock.version(), v.name.replace("_", "."))
                    c.cmd("QUIT")
                finally:
                    c.close()


class TestFetchmail(TlsCase):
    """fetchmail: CAPA, STLS, CAPA, USER/PASS (CLIENTS.md), and over POP3S."""

    def run_fetchmail(self, tmp, options, port):
        out = os.path.join(tmp, "mbox")
        rc = os.path.join(tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('set no bouncemail\n'
                    'poll %s with proto POP3 port %d auth password\n'
                    '  user "%s" there with password "%s" is "root" here\n'
                    '  options keep %s\n'
                    '  mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (HOST, port, ALICE, self.password(), options, out))
        os.chmod(rc, 0o600)  # fetchmail refuses other modes
        env = dict(os.environ, FETCHMAILHOME=tmp, HOME=tmp)
        res = subprocess.run(["fetchmail", "-f", rc, "--pidfile",
                              os.path.join(tmp, "fetchmail.pid"), "-v", "--nodetach"],
                             capture_output=True, text=True, timeout=120, env=env)
        mbox = ""
        if os.path.exists(out):
            with open(out) as f:
                mbox = f.read()
        return res, mbox

    def fetch(self, options, port, body):
        tmp = tempfile.mkdtemp(prefix="posthorn-fetchmail-")
        try:
            res, mbox = self.run_fetchmail(tmp, options, port)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            self.assertIn(body, mbox)
            return res.stdout + res.stderr
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_stls_certck(self):
        self.empty()
        self.deliver("fm1", "fetchmail over STLS")
        out = self.fetch("sslcertck sslcertfile %s" % self.srv.cert, self.pop3,
                         "fetchmail over STLS")
        self.assertIn("POP3> STLS", out)
        self.assertIn("upgrade to TLS succeeded", out)

    def test_stls_fingerprint(self):
        self.empty()
        self.deliver("fm2", "fetchmail by fingerprint")
        der = ssl.PEM_cert_to_DER_cert(read_file(self.srv.cert))
        # fetchmail's sslfingerprint is the MD5 of the certificate; it pins
        # the certificate instead of checking a chain (no sslcertck).
        fp = ":".join("%02X" % b for b in hashlib.md5(der).digest())
        out = self.fetch('sslproto "auto" no sslcertck sslfingerprint "%s"' % fp, self.pop3,
                         "fetchmail by fingerprint")
        self.assertIn("POP3> STLS", out)
        self.assertIn("fingerprints match", out)

    def test_pop3s(self):
        self.empty()
        self.deliver("fm3", "fetchmail over POP3S")
        out = self.fetch("ssl sslcertck sslcertfile %s" % self.srv.cert, self.pop3s,
                         "fetchmail over POP3S")
        self.assertNotIn("POP3> STLS", out)


class TestTlsPolicy(TlsCase):
    """TLS 1.2+ only and the Mozilla intermediate ciphers (an RSA key, so
    that static-RSA suites would be possible if the server allowed them)."""

    rsa = True

    def probe(self, args):
        return s_client(self.pop3s, args, timeout=60)

    def test_old_protocols_refused(self):
        for proto in ("-tls1", "-tls1_1"):
            with self.subTest(proto=proto):
                # SECLEVEL=0 so our own client would speak it.
                rc, out = self.probe([proto, "-cipher", "DEFAULT@SECLEVEL=0"])
                self.assertNotEqual(rc, 0, out)
                self.assertFalse(handshake_ok(out), out)
                self.assertIn("protocol version", out)

    def test_current_protocols_accepted(self):
        for proto, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            with self.subTest(proto=proto):
                rc, out = self.probe([proto, "-CAfile", self.srv.cert])
                self.assertEqual(rc, 0, out)
                self.assertTrue(handshake_ok(out), out)
                self.assertIn("New, %s" % name, out)

    def test_weak_ciphers_refused(self):
        weak = ["AES128-SHA", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
                "ECDHE-RSA-AES256-SHA384", "NULL-SHA256", "DES-CBC3-SHA", "RC4-SHA",
                "ADH-AES128-GCM-SHA256", "AECDH-AES256-SHA"]
        tried = 0
        for cipher in weak:
            with self.subTest(cipher=cipher):
                rc, out = self.probe(["-tls1_2", "-cipher", cipher + "@SECLEVEL=0"])
                if "no cipher match" in out:
                    continue  # this OpenSSL cannot even offer it
                tried += 1
                self.assertNotEqual(rc, 0, out)
                self.assertFalse(handshake_ok(out), out)
                self.assertIn("handshake failure", out)
        self.assertGreaterEqual(tried, 5)

    def test_server_cipher_preference(self):
        # The client prefers CHACHA20; the server's order puts AES-GCM first.
        rc, out = self.probe(["-tls1_2", "-cipher",
                              "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"])
        self.assertEqual(rc, 0, out)
        self.assertIn("Cipher is ECDHE-RSA-AES128-GCM-SHA256", out)

    def test_no_compression(self):
        rc, out = self.probe(["-tls1_2"])
        self.assertIn("Compression: NONE", out)


class TestThrottle(TlsCase):
    """Failed logins per address lock it for a while: -ERR [SYS/TEMP]."""

    extra_config = {"plaintext_auth": "never", "auth_fail_threshold": "2",
                    "auth_lockout": "5"}

    def test_throttled(self):
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            for _ in range(2):
                self.assertTrue(c.cmd("USER " + BOB).startswith("+OK"))
                self.assertTrue(c.cmd("PASS wrong").startswith("-ERR [AUTH]"))
        finally:
            c.close()
        c = Pop3Conn(self.pop3s, self.ctx)
        try:
            c.cmd("USER " + ALICE)
            r = c.cmd("PASS " + self.password())
            self.assertTrue(r.startswith("-ERR [SYS/TEMP]"), r)
            blob = base64.b64encode(("\0%s\0%s" % (ALICE, self.password())).encode())
            r = c.cmd("AUTH PLAIN " + blob.decode())
            self.assertTrue(r.startswith("-ERR [SYS/TEMP]"), r)
            time.sleep(5)  # the lock expires
            self.assertEqual(c.cmd("AUTH PLAIN " + blob.decode()), "+OK Logged in.")
            c.cmd("QUIT")
        finally:
            c.close()


class TestReload(unittest.TestCase):
    """SIGHUP with a new certificate: new connections present it,
    established ones keep working; a broken pair keeps the current one."""

    def setUp(self):
        self.srv = tls_server()
        self.ctx = client_context(self.srv.cert)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def peer_fingerprint(self, ctx=None):
        ctx = ctx or ssl._create_unverified_context()
        with socket.create_connection(("127.0.0.1", self.srv.port("pop3s")), 10) as s:
            with ctx.wrap_socket(s, server_hostname=HOST) as t:
                return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()

    def hup_and_wait(self, text, count):
        self.srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while self.srv.log().count(text) < count:
            self.assertLess(time.time(), deadline, self.srv.log())
            time.sleep(0.1)

    def test_sighup_new_certificate(self):
        srv = self.srv
        old_fp = file_fingerprint(srv.cert)
        self.assertEqual(self.peer_fingerprint(), old_fp)
        # Two sessions established with the old certificate.
        p1 = poplib.POP3_SSL(HOST, srv.port("pop3s"), context=self.ctx, timeout=20)
        p1.user(ALICE)
        p1.pass_(srv.users[ALICE])
        p2 = poplib.POP3(HOST, srv.port("pop3"), timeout=20)
        p2.stls(self.ctx)
        p2.user(BOB)
        p2.pass_(srv.users[BOB])

        out = srv.cli("cert", "selfsigned", HOST, "--force").stdout
        new_fp = file_fingerprint(srv.cert)
        self.assertNotEqual(new_fp, old_fp)
        self.assertIn(":".join(re.findall("..", new_fp.upper())), out)
        self.hup_and_wait("reload: certificate loaded", 1)
        self.assertEqual(self.peer_fingerprint(), new_fp)
        # The new certificate verifies for new STLS sessions too.
        p3 = poplib.POP3(HOST, srv.port("pop3"), timeout=20)
        p3.stls(client_context(srv.cert))
        p3.quit()

        # The old sessions go on as if nothing happened.
        srv.cli("deliver", ALICE, input="Subject: after reload\n\nstill here\n")
        self.assertTrue(p1.noop().startswith(b"+OK"))
        self.assertTrue(p2.noop().startswith(b"+OK"))
        self.assertEqual(p2.stat()[0], 0)
        self.assertTrue(p1.quit().startswith(b"+OK"))
        self.assertTrue(p2.quit().startswith(b"+OK"))
        p1 = poplib.POP3_SSL(HOST, srv.port("pop3s"), context=client_context(srv.cert),
                             timeout=20)
        p1.user(ALICE)
        p1.pass_(srv.users[ALICE])
        self.assertIn(b"still here", b"\n".join(p1.retr(1)[1]))
        p1.quit()

        # A key that does not match: the reload keeps the current pair.
        with open(srv.key, "w") as f:
            f.write(subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                    "ec_paramgen_curve:P-256"], capture_output=True,
                                   text=True, check=True).stdout)
        self.hup_and_wait("reload: keeping the current certificate", 1)
        self.assertEqual(self.peer_fingerprint(), new_fp)
        self.assertIsNone(srv.proc.poll())


class TestStartup(unittest.TestCase):
    """A clear error, and no daemon, when the certificate cannot be used."""

    def start_fails(self, srv, expect):
        if not getattr(srv, "provisioned", False):
            srv.provision()
            srv.provisioned = True
        srv.start(wait=False)
        try:
            rc = srv.proc.wait(30)
        except subprocess.TimeoutExpired:
            srv.stop()
            self.fail("posthornd started despite a bad certificate")
        srv.proc = None
        srv.logf.close()
        srv.logf = None
        self.assertNotEqual(rc, 0)
        self.assertIn(expect, srv.log())
        return srv.log()

    def make(self, listen=("pop3", "pop3s")):
        srv = harness.Server(domain=DOMAIN, listen=listen)
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def test_key_does_not_match(self):
        srv = self.make()
        a_cert, a_key = (os.path.join(srv.tmp, n) for n in ("a.pem", "a.key"))
        b_cert, b_key = (os.path.join(srv.tmp, n) for n in ("b.pem", "b.key"))
        for cert, key in ((a_cert, a_key), (b_cert, b_key)):
            srv.write_config(tls_cert=cert, tls_key=key)
            srv.cli("cert", "selfsigned", HOST)
        srv.extra_config.update({"tls_cert": a_cert, "tls_key": b_key})
        srv.write_config()
        log = self.start_fails(srv, "mismatch")
        self.assertIn(b_key, log)

    def test_unreadable_files(self):
        srv = self.make()
        srv.extra_config.update({"tls_cert": os.path.join(srv.tmp, "cert.pem"),
                                 "tls_key": os.path.join(srv.tmp, "key.pem")})
        srv.write_config()
        srv.cli("cert", "selfsigned", HOST)
        missing = os.path.join(srv.tmp, "missing.pem")
        srv.extra_config["tls_key"] = missing
        srv.write_config()
        log = self.start_fails(srv, "cannot load private key")
        self.assertIn(missing, log)
        # A directory where the certificate should be.
        srv.extra_config["tls_key"] = os.path.join(srv.tmp, "key.pem")
        srv.extra_config["tls_cert"] = srv.tmp
        srv.write_config()
        self.start_fails(srv, "cannot load certificate")

    def test_pop3s_without_certificate(self):
        srv = self.make()
        self.start_fails(srv, "needs a certificate")


class TestCertCommand(unittest.TestCase):
    """`posthorn cert selfsigned`: files, modes, refusals."""

    def setUp(self):
        self.srv = harness.Server(domain=DOMAIN)
        self.addCleanup(shutil.rmtree, self.srv.tmp, True)
        self.cert = os.path.join(self.srv.tmp, "tls", "cert.pem")
        self.key = os.path.join(self.srv.tmp, "tls", "key.pem")
        os.mkdir(os.path.dirname(self.cert))
        self.srv.write_config(tls_cert=self.cert, tls_key=self.key)

    def x509(self, *args):
        return subprocess.run(["openssl", "x509", "-in", self.cert, "-noout"] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def test_writes_cert_and_key(self):
        r = self.srv.cli("cert", "selfsigned", "mail.example.test", "--days", "30")
        self.assertIn("wrote certificate %s" % self.cert, r.stdout)
        self.assertIn("wrote private key %s" % self.key, r.stdout)
        self.assertIn("self-signed", r.stdout)
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.cert))),
                         ["cert.pem", "key.pem"])  # no temporary files left
        self.assertIn("DNS:mail.example.test", self.x509("-ext", "subjectAltName"))
        self.assertIn("CN = mail.example.test", self.x509("-subject"))
        self.assertIn("ASN1 OID: prime256v1", self.x509("-text"))
        # valid now, and for about 30 days
        self.assertEqual(subprocess.run(["openssl", "x509", "-in", self.cert, "-noout",
                                         "-checkend", str(29 * 86400)]).returncode, 0)
        self.assertNotEqual(subprocess.run(["openssl", "x509", "-in", self.cert, "-noout",
                                            "-checkend", str(31 * 86400)],
                                           capture_output=True).returncode, 0)
        # key and certificate belong together
        mod = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout"],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(mod, self.x509("-pubkey"))
        # it verifies as its own trust anchor for that name
        r = subprocess.run(["openssl", "verify", "-CAfile", self.cert, "-verify_hostname",
                            "mail.example.test", self.cert], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_refuses_to_overwrite(self):
        self.srv.cli("cert", "selfsigned", HOST)
        before = read_file(self.cert)
        r = self.srv.cli("cert", "selfsigned", HOST, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        self.assertEqual(read_file(self.cert), before)
        r = self.srv.cli("cert", "selfsigned", HOST, "--force", "--rsa")
        self.assertNotEqual(read_file(self.cert), before)
        self.assertIn("RSA 2048", r.stdout)
        self.assertIn("Public-Key: (2048 bit)", self.x509("-text"))

    def test_ip_address(self):
        self.srv.cli("cert", "selfsigned", "127.0.0.1")
        self.assertIn("IP Address:127.0.0.1", self.x509("-ext", "subjectAltName"))

    def test_usage_errors(self):
        for args, text in ((["cert"], "usage"), (["cert", "selfsigned"], "usage"),
                           (["cert", "selfsigned", "bad_name"], "bad hostname"),
                           (["cert", "selfsigned", HOST, "--days", "0"], "--days"),
                           (["cert", "selfsigned", HOST, "--days", "x"], "--days"),
                           (["cert", "other", HOST], "usage")):
            with self.subTest(args=args):
                r = self.srv.cli(*args, check=False)
                self.assertEqual(r.returncode, 1)
                self.assertIn(text, r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(self.cert))

    def test_needs_config_paths(self):
        self.srv.write_config()  # no tls_cert / tls_key
        r = self.srv.cli("cert", "selfsigned", HOST, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("tls_cert", r.stderr)


if __name__ == "__main__":
    unittest.main()
