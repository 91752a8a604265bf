#!/usr/bin/env python3
"""test_smtp_clients.py: real SMTP clients against a real posthornd.

swaks (plain and --pipeline), curl smtp://, Python's smtplib with an
internationalized message (SMTPUTF8), and raw replays of the command
sequences Thunderbird, mutt/neomutt, curl and smtplib send (shared/clients/
*.smtp.txt, minus STARTTLS/AUTH, which come with the next issue). Each
message is read back over POP3.
"""
import email.message
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import test_smtp as base  # noqa: E402

ALICE, BOB, DOMAIN = base.ALICE, base.BOB, base.DOMAIN


def require(tool):
    """The path of a client the CI installs (scripts/test.sh); fail loudly without it."""
    path = shutil.which(tool)
    if path is None:
        raise AssertionError("%s is not installed (apt-get install %s)" % (tool, tool))
    return path


class ClientsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(domain=DOMAIN)
        cls.srv.__enter__()
        cls.tmp = tempfile.mkdtemp(prefix="posthorn-smtp-clients-")

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def port(self):
        return self.srv.port("smtp")

    def messages(self, user=ALICE):
        return base.pop_messages(self.srv, user, self.srv.users[user])

    def run_tool(self, argv, ok=True):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        if ok and r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s\n%s" % (
                argv[0], r.returncode, r.stdout, r.stderr, self.srv.log()))
        return r

    # -- swaks ---------------------------------------------------------

    def swaks(self, tok, *extra, ok=True, to=ALICE):
        return self.run_tool([require("swaks"), "--server", "127.0.0.1",
                              "--port", str(self.port()), "--ehlo", "client.example",
                              "--from", "carol@example.net", "--to", to,
                              "--header", "Subject: swaks " + tok,
                              "--body", "swaks body " + tok + "\n.leading dot\n",
                              "--timeout", "30"] + list(extra), ok=ok)

    def test_swaks(self):
        tok = base.token()
        r = self.swaks(tok)
        self.assertIn("<-  250 2.0.0 OK id=", r.stdout)
        [m] = base.with_token(self.messages(), tok)
        self.assertTrue(m.startswith(b"Return-Path: <carol@example.net>\r\n"
                                     b"Received: from client.example ([127.0.0.1])"), m)
        self.assertIn(b"X-Mailer: swaks", m)
        self.assertIn(b"\r\n.leading dot\r\n", m)

    def test_swaks_pipeline(self):
        tok = base.token()
        r = self.swaks(tok, "--pipeline")
        self.assertIn("PIPELINING", r.stdout)
        self.assertEqual(len(base.with_token(self.messages(), tok)), 1)

    def test_swaks_two_recipients_one_unknown(self):
        tok = base.token()
        r = self.swaks(tok, to="nobody@%s,%s" % (DOMAIN, BOB), ok=False)
        self.assertIn("550 5.1.1", r.stdout)
        self.assertEqual(len(base.with_token(self.messages(BOB), tok)), 1)

    def test_swaks_relay_refused(self):
        tok = base.token()
        r = self.swaks(tok, to="victim@elsewhere.example", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550 5.7.1", r.stdout)

    # -- curl ------------------------------------------------------------

    def test_curl(self):
        tok = base.token()
        path = os.path.join(self.tmp, "testmsg.eml")
        with open(path, "wb") as f:
            f.write(base.make_message(tok, to=BOB))
        self.run_tool([require("curl"), "-sS", "--url", "smtp://127.0.0.1:%d" % self.port(),
                       "--mail-from", "carol@example.net", "--mail-rcpt", ALICE,
                       "--mail-rcpt", BOB, "--upload-file", path])
        for user in (ALICE, BOB):
            [m] = base.with_token(self.messages(user), tok)
            # curl says EHLO with the file name (shared/clients/curl.smtp.txt).
            self.assertIn(b"Received: from testmsg.eml ([127.0.0.1])", m)
            self.assertTrue(m.endswith(b"Hello " + tok.encode() + b"\r\n"))

    def test_curl_unknown_user(self):
        tok = base.token()
        path = os.path.join(self.tmp, "unknown.eml")
        with open(path, "wb") as f:
            f.write(base.make_message(tok))
        r = self.run_tool([require("curl"), "-sS", "--url", "smtp://127.0.0.1:%d" % self.port(),
                           "--mail-from", "carol@example.net", "--mail-rcpt",
                           "nobody@" + DOMAIN, "--upload-file", path], ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550", r.stderr)

    # -- smtplib -----------------------------------------------------------

    def test_smtplib_send_message_smtputf8(self):
        tok = base.token()
        msg = email.message.EmailMessage()
        msg["From"] = "J\u00f6rg <j\u00f6rg@b\u00fccher.example>"
        msg["To"] = ALICE
        msg["Subject"] = "Gr\u00fc\u00dfe " + tok
        msg.set_content("K\u00e4se und Br\u00f6tchen " + tok + "\n")
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=30) as s:
            s.send_message(msg)   # non-ASCII sender: smtplib adds SMTPUTF8
        [m] = base.with_token(self.messages(), tok)
        self.assertIn("Return-Path: <j\u00f6rg@b\u00fccher.example>".encode(), m)
        self.assertIn(b"with UTF8SMTP id", m)

    # -- replays of the captured client sequences --------------------------

    def replay(self, ehlo, mail_params, lower=False):
        tok = base.token()
        r = base.Raw(self.port())
        self.addCleanup(r.close)

        def c(verb, rest=""):
            return r.cmd((verb.lower() if lower else verb) + rest)

        self.assertEqual(c("EHLO", " " + ehlo)[0], 250)
        self.assertEqual(c("MAIL", " FROM:<alice@%s>%s" % (DOMAIN, mail_params))[0], 250)
        self.assertEqual(c("RCPT", " TO:<%s>" % BOB)[0], 250)
        self.assertEqual(c("DATA")[0], 354)
        r.send(base.make_message(tok, to=BOB) + b".\r\n")
        code, text = r.reply()
        self.assertEqual(code, 250)
        self.assertEqual(c("QUIT")[0], 221)
        self.assertTrue(r.closed())
        [m] = base.with_token(self.messages(BOB), tok)
        return m

    def test_replay_thunderbird(self):
        m = self.replay("[127.0.0.1]", " BODY=8BITMIME SIZE=422")
        self.assertIn(b"Received: from [127.0.0.1] ([127.0.0.1])", m)

    def test_replay_mutt(self):
        self.replay("vm", "")

    def test_replay_curl(self):
        self.replay("testmsg.eml", " SIZE=173")

    def test_replay_python_smtplib(self):
        self.replay("client.example", " size=81", lower=True)


if __name__ == "__main__":
    unittest.main()
