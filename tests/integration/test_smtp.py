#!/usr/bin/env python3
"""test_smtp.py: the SMTP server (RFC 5321 + ESMTP extensions) against a
real posthornd, over real sockets.

Python's smtplib for ordinary sessions; a raw socket (class Raw) where the
exact bytes matter: pipelining (several commands in one write, replies
checked in order), BDAT chunks, smuggling attempts. Every accepted message
is read back over POP3 (poplib) to prove it is stored, exactly once, with
the Return-Path and Received trace headers.

The helpers here (Raw, pop_messages, mailbox_count, make_message) are also
used by test_smtp_clients.py, test_smtp_load.py and test_smtp_badinput.py.
"""
import os
import poplib
import re
import smtplib
import socket
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

DOMAIN = "example.test"
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
HOSTNAME = "mail." + DOMAIN


# ---------------------------------------------------------------- helpers

def token():
    """A unique marker to find one test's messages among all others."""
    return uuid.uuid4().hex


def make_message(tok, to=ALICE, sender="carol@example.net", body=None):
    """A small RFC 5322 message (bytes, CRLF) carrying tok in Subject and body."""
    body = body if body is not None else b"Hello " + tok.encode() + b"\r\n"
    return (b"From: Carol <" + sender.encode() + b">\r\n"
            b"To: <" + to.encode() + b">\r\n"
            b"Subject: test " + tok.encode() + b"\r\n"
            b"Message-ID: <" + tok.encode() + b"@example.net>\r\n"
            b"\r\n" + body)


class Raw:
    """An SMTP connection on a plain socket: exact bytes, no client logic."""

    def __init__(self, port, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def reply(self):
        """One (possibly multi-line) reply: (code, [text lines])."""
        lines = []
        while True:
            raw = self.f.readline(70000)
            if not raw:
                raise EOFError("connection closed after %r" % lines)
            if not raw.endswith(b"\r\n"):
                raise AssertionError("reply line without CRLF: %r" % raw)
            line = raw[:-2].decode("utf-8", "replace")
            if len(line) < 3 or not line[:3].isdigit():
                raise AssertionError("bad reply line %r" % line)
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), lines
            if line[3] != "-":
                raise AssertionError("bad reply separator %r" % line)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def ehlo(self, name="client.example"):
        code, lines = self.cmd("EHLO " + name)
        assert code == 250, (code, lines)
        return lines

    def closed(self, timeout=10):
        """True when the server closes the connection (after any replies)."""
        self.sock.settimeout(timeout)
        try:
            while self.f.readline():
                pass
            return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def pop_messages(server, user, password):
    """All messages of user's INBOX over POP3, as bytes with CRLF line ends."""
    p = poplib.POP3("127.0.0.1", server.port("pop3"), timeout=30)
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


def with_token(msgs, tok):
    return [m for m in msgs if tok.encode() in m]


def mailbox_count(server, address, mailbox="INBOX"):
    """Message count of a mailbox through `posthorn mailbox list`."""
    out = server.cli("mailbox", "list", address).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == mailbox:
            return int(fields[1])
    raise AssertionError("no %s in: %s" % (mailbox, out))


def header_block(msg):
    return msg.split(b"\r\n\r\n", 1)[0]


def wait_for_log(server, pattern, timeout=10):
    """The first log line matching the regex pattern (the daemon logs asynchronously)."""
    deadline = time.time() + timeout
    while True:
        for line in server.log().splitlines():
            if re.search(pattern, line):
                return line
        if time.time() > deadline:
            raise AssertionError("no log line matching %r in:\n%s" % (pattern, server.log()))
        time.sleep(0.05)


# ------------------------------------------------------------------ tests

class SMTPTest(unittest.TestCase):
    """One daemon for the class; tests tell their messages apart by token."""

    MAX_SIZE = 100 * 1024
    MAX_RCPTS = 5

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(domain=DOMAIN, extra_config={
            "max_message_size": "100K",
            "smtp_max_recipients": str(cls.MAX_RCPTS),
            # Several tests provoke many errors in one session on purpose;
            # the default limit (10) is tested in test_smtp_badinput.py.
            "smtp_max_errors": "50",
        })
        cls.srv.provision()
        s = cls.srv
        s.cli("domain", "add", "other.test")
        s.cli("alias", "add", "team@" + DOMAIN, ALICE + "," + BOB)
        s.cli("alias", "add", "postmaster@" + DOMAIN, ALICE)
        s.cli("alias", "add", "@other.test", BOB)
        for i in range(cls.MAX_RCPTS + 2):
            s.cli("alias", "add", "a%d@%s" % (i, DOMAIN), ALICE)
        s.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def port(self):
        return self.srv.port("smtp")

    def raw(self):
        r = Raw(self.port())
        self.addCleanup(r.close)
        return r

    def messages(self, user=ALICE):
        return pop_messages(self.srv, user, self.srv.users[user])

    def smtp(self):
        s = smtplib.SMTP("127.0.0.1", self.port(), timeout=30)
        self.addCleanup(s.close)
        return s

    # -- greeting and EHLO -------------------------------------------------

    def test_greeting_and_ehlo(self):
        r = self.raw()
        self.assertEqual(r.greeting, (220, [HOSTNAME + " ESMTP Posthorn"]))
        lines = r.ehlo()
        self.assertEqual(lines[0], HOSTNAME)
        ext = set(lines[1:])
        for e in ("PIPELINING", "SIZE %d" % self.MAX_SIZE, "8BITMIME",
                  "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING"):
            self.assertIn(e, ext)
        # No certificate configured: no STARTTLS; port 25 never offers AUTH
        # (test_smtp_tls.py and test_submission.py have both).
        self.assertFalse(any(x.startswith(("STARTTLS", "AUTH")) for x in ext), ext)
        self.assertEqual(r.cmd("QUIT"), (221, ["2.0.0 %s Bye" % HOSTNAME]))
        self.assertTrue(r.closed())

    def test_ehlo_any_argument(self):
        # Thunderbird, curl (a file name), mutt, odd and non-ASCII names.
        r = self.raw()
        for name in ("[127.0.0.1]", "testmsg.eml", "vm", "[IPv6:::1]",
                     "a b c", "x(y);z", "\u00e9t\u00e9.example", "-", "1"):
            self.assertEqual(r.cmd("EHLO " + name)[0], 250, name)
            self.assertEqual(r.cmd("HELO " + name), (250, [HOSTNAME]), name)
        self.assertEqual(r.cmd("EHLO")[0], 501)
        self.assertEqual(r.cmd("HELO")[0], 501)

    def test_helo_then_mail(self):
        r = self.raw()
        r.cmd("HELO vm")
        tok = token()
        self.assertEqual(r.cmd("MAIL FROM:<carol@example.net>")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        r.send(make_message(tok) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(), tok)
        self.assertIn(b"from vm ([127.0.0.1])", m)
        self.assertIn(b"with SMTP id", m)

    # -- sending -----------------------------------------------------------

    def test_smtplib_plain(self):
        tok = token()
        s = self.smtp()
        s.ehlo("client.example")
        refused = s.sendmail("carol@example.net", [ALICE, BOB], make_message(tok))
        self.assertEqual(refused, {})
        s.quit()
        for user in (ALICE, BOB):
            [m] = with_token(self.messages(user), tok)
            hdr = header_block(m)
            # Return-Path first, then our Received (RFC 5321 4.4).
            self.assertTrue(hdr.startswith(b"Return-Path: <carol@example.net>\r\n"
                                           b"Received: from client.example ([127.0.0.1])\r\n"
                                           b"\tby " + HOSTNAME.encode() +
                                           b" (Posthorn) with ESMTP id "), hdr)
            # Two recipients: no "for" clause (would disclose Bcc).
            self.assertNotIn(b"for <", hdr)
            self.assertIn(b"Subject: test " + tok.encode(), hdr)
            self.assertTrue(m.endswith(b"Hello " + tok.encode() + b"\r\n"))

    def test_received_for_single_rcpt(self):
        tok = token()
        s = self.smtp()
        s.sendmail("carol@example.net", [BOB], make_message(tok, to=BOB))
        s.quit()
        [m] = with_token(self.messages(BOB), tok)
        self.assertRegex(header_block(m).decode(),
                         r"Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n"
                         r"\tby mail\.example\.test \(Posthorn\) with ESMTP id ([0-9A-F]{16})\r\n"
                         r"\tfor <bob@example\.test>; \w{3}, \d{1,2} \w{3} \d{4} "
                         r"\d\d:\d\d:\d\d [+-]\d{4}\r\n")

    def test_reply_id_matches_header_and_log(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("DATA")
        r.send(make_message(tok) + b".\r\n")
        code, text = r.reply()
        self.assertEqual(code, 250)
        mid = re.match(r"2\.0\.0 OK id=([0-9A-F]{16})$", text[0]).group(1)
        [m] = with_token(self.messages(), tok)
        self.assertIn(b" id " + mid.encode(), header_block(m))
        line = wait_for_log(self.srv, "smtp: id=%s " % mid)
        self.assertRegex(line, r"smtp: id=%s rip=127\.0\.0\.1 from=<carol@example\.net> "
                               r"to=<alice@example\.test> size=\d+ result=accepted$" % mid)

    def test_8bit_body(self):
        tok = token()
        body = ("Gr\u00fc\u00dfe, \u65e5\u672c\u8a9e, emoji \U0001F4EF " + tok + "\r\n").encode()
        body += b"latin-1 \xe9\xe8\xff raw octets\r\n"
        msg = make_message(tok, body=body)
        s = self.smtp()
        s.ehlo()
        self.assertTrue(s.has_extn("8bitmime"))
        s.sendmail("carol@example.net", [ALICE], msg, mail_options=["BODY=8BITMIME"])
        s.quit()
        [m] = with_token(self.messages(), tok)
        self.assertTrue(m.endswith(body), m)

    def test_smtputf8(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        sender = "\u00fcser@b\u00fccher.example"
        self.assertEqual(r.cmd("MAIL FROM:<%s> SMTPUTF8 BODY=8BITMIME" % sender)[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        r.send(make_message(tok) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(), tok)
        self.assertIn(("Return-Path: <%s>" % sender).encode(), m)
        self.assertIn(b"with UTF8SMTP id", m)
        # Without SMTPUTF8 a non-ASCII path is refused (RFC 6531 3.4).
        r.cmd("RSET")
        code, text = r.cmd("MAIL FROM:<%s>" % sender)
        self.assertEqual(code, 553)
        self.assertTrue(text[0].startswith("5.6.7"))

    def test_null_sender(self):
        tok = token()
        s = self.smtp()
        s.sendmail("", [ALICE], make_message(tok))
        s.quit()
        [m] = with_token(self.messages(), tok)
        self.assertTrue(m.startswith(b"Return-Path: <>\r\n"))

    def test_dot_stuffing(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        self.assertEqual(r.cmd("DATA")[0], 354)
        body = (b"..leading dot\r\n...two dots\r\n.\t.tab\r\nmiddle . dot\r\n"
                b"..\r\nend " + tok.encode() + b"\r\n")
        r.send(make_message(tok, body=body) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(), tok)
        self.assertTrue(m.endswith(b".leading dot\r\n..two dots\r\n\t.tab\r\nmiddle . dot\r\n"
                                   b".\r\nend " + tok.encode() + b"\r\n"), m)

    def test_bare_lf_normalized(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("DATA")
        r.send(b"Subject: " + tok.encode() + b"\n\nline one\nline two\rline three\r\n.\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(), tok)
        self.assertTrue(m.endswith(b"Subject: " + tok.encode() +
                                   b"\r\n\r\nline one\r\nline two\r\nline three\r\n"), m)

    def test_empty_message(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<%s@example.net>" % tok)
        r.cmd("RCPT TO:<%s>" % BOB)
        r.cmd("DATA")
        r.send(b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(BOB), tok)
        self.assertTrue(m.startswith(b"Return-Path: <%s@example.net>" % tok.encode()))

    # -- pipelining (RFC 2920) -------------------------------------------

    def test_pipelined(self):
        tok1, tok2 = token(), token()
        r = self.raw()
        # One write: EHLO and a whole envelope, one refused recipient inside.
        r.send("EHLO client.example\r\n"
               "MAIL FROM:<carol@example.net> BODY=8BITMIME SIZE=300\r\n"
               "RCPT TO:<%s>\r\n"
               "RCPT TO:<nobody@%s>\r\n"
               "RCPT TO:<%s>\r\n"
               "DATA\r\n" % (ALICE, DOMAIN, BOB))
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (550, "5.1.1"))
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 354)
        # The message, its end, and the next transaction in one write.
        r.send(make_message(tok1) + b".\r\n"
               b"MAIL FROM:<dave@example.net>\r\n"
               b"RCPT TO:<" + ALICE.encode() + b">\r\n"
               b"DATA\r\n")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 354)
        r.send(make_message(tok2) + b".\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 221)
        self.assertTrue(r.closed())
        alice = self.messages(ALICE)
        self.assertEqual(len(with_token(alice, tok1)), 1)
        self.assertEqual(len(with_token(alice, tok2)), 1)
        self.assertEqual(len(with_token(self.messages(BOB), tok1)), 1)

    def test_pipelined_all_rcpts_refused(self):
        # RFC 2920 / RFC 5321 3.3: DATA after only refused RCPTs is refused,
        # and the "message" the client sends anyway is read as commands.
        r = self.raw()
        r.send("EHLO x\r\nMAIL FROM:<carol@example.net>\r\n"
               "RCPT TO:<nobody@%s>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\n"
               "NOOP\r\n" % DOMAIN)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 550)
        self.assertEqual(r.reply()[0], 550)
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (554, "5.5.1"))
        self.assertEqual(r.reply()[0], 250)

    def test_pipelined_many_commands(self):
        # 500 NOOPs in one write: every reply arrives, in order, once.
        r = self.raw()
        r.ehlo()
        n = 90  # below smtp_max_commands_before_mail (100)
        r.send("NOOP\r\n" * n + "MAIL FROM:<a@b.example>\r\nRSET\r\n" + "HELP\r\n" * 5)
        for _ in range(n):
            self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        for _ in range(5):
            self.assertEqual(r.reply()[0], 214)

    # -- BDAT (RFC 3030) ------------------------------------------------

    def test_bdat(self):
        tok = token()
        msg = make_message(tok, body=b".no dot-stuffing here\r\n.\r\nstill body\r\n")
        part1, part2 = msg[:40], msg[40:]
        r = self.raw()
        self.assertIn("CHUNKING", r.ehlo())
        r.send(b"MAIL FROM:<carol@example.net>\r\nRCPT TO:<" + ALICE.encode() + b">\r\n"
               b"BDAT %d\r\n" % len(part1) + part1 +
               b"BDAT %d\r\n" % len(part2) + part2 +
               b"BDAT 0 LAST\r\n")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.reply(), (250, ["2.0.0 %d octets received" % len(part1)]))
        self.assertEqual(r.reply(), (250, ["2.0.0 %d octets received" % len(msg)]))
        code, text = r.reply()
        self.assertEqual(code, 250)
        self.assertTrue(text[0].startswith("2.0.0 OK id="))
        [m] = with_token(self.messages(), tok)
        hdr, body = m.split(b"\r\n\r\n", 1)
        self.assertIn(b"Return-Path: <carol@example.net>", hdr)
        # poplib undoes POP3's byte-stuffing; BDAT content is stored verbatim.
        self.assertEqual(body, b".no dot-stuffing here\r\n.\r\nstill body\r\n")

    def test_bdat_single_last_chunk(self):
        tok = token()
        msg = make_message(tok)
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % BOB)
        r.send(b"BDAT %d LAST\r\n" % len(msg) + msg)
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(len(with_token(self.messages(BOB), tok)), 1)

    def test_bdat_sequence_errors_consume_chunk(self):
        r = self.raw()
        r.ehlo()
        # No transaction: the 20 octets (which look like commands) are read and dropped.
        r.send(b"BDAT 20\r\nQUIT\r\nQUIT\r\nQUIT\r\n\r\nNOOP\r\n")
        self.assertEqual(r.reply()[0], 503)
        self.assertEqual(r.reply()[0], 250)
        r.cmd("MAIL FROM:<carol@example.net>")
        r.send(b"BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n")
        self.assertEqual(r.reply()[0], 503)	# no RCPT yet
        self.assertEqual(r.reply()[0], 250)
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.send(b"BDAT 3\r\nabc")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 503)	# no DATA after BDAT
        self.assertEqual(r.cmd("MAIL FROM:<x@y.example>")[0], 503)
        self.assertEqual(r.cmd("RSET")[0], 250)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_bdat_bad_size_closes(self):
        r = self.raw()
        r.ehlo()
        r.send(b"BDAT lots\r\nQUIT\r\n")
        self.assertEqual(r.reply()[0], 501)
        self.assertTrue(r.closed())

    # -- smuggling (CVE-2023-51764) --------------------------------------

    def test_smuggling_not_accepted(self):
        for fake in (b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r"):
            tok, evil = token(), token()
            r = self.raw()
            r.ehlo()
            r.cmd("MAIL FROM:<carol@example.net>")
            r.cmd("RCPT TO:<%s>" % ALICE)
            r.cmd("DATA")
            r.send(make_message(tok) + b"first part" + fake +
                   b"MAIL FROM:<evil@example.net>\r\nRCPT TO:<" + BOB.encode() + b">\r\n"
                   b"DATA\r\nSubject: " + evil.encode() + b"\r\n\r\nsmuggled\r\n.\r\nQUIT\r\n")
            # Exactly one message: one 250, then QUIT's 221.
            code, text = r.reply()
            self.assertEqual(code, 250, fake)
            self.assertEqual(r.reply()[0], 221, fake)
            r.close()
            self.assertEqual(with_token(self.messages(BOB), evil), [], fake)
            [m] = with_token(self.messages(ALICE), tok)
            self.assertIn(b"MAIL FROM:<evil@example.net>", m)
            self.assertNotIn(b"\n.\n", m)
            self.assertIsNone(re.search(rb"(?<!\r)\n|\r(?!\n)", m), m)

    # -- recipients --------------------------------------------------------

    def test_open_relay_refused(self):
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<spammer@example.net>")
        for rcpt in ("victim@elsewhere.example", "victim@[192.0.2.1]",
                     "victim@[127.0.0.1]", "postmaster@elsewhere.example",
                     "alice@example.test.evil.example", "@%s:victim@elsewhere.example" % DOMAIN):
            code, text = r.cmd("RCPT TO:<%s>" % rcpt)
            self.assertEqual(code, 550, rcpt)
            self.assertTrue(text[0].startswith("5.7.1"), (rcpt, text))
        # The %-hack and local-part tricks are just unknown local users.
        for rcpt in ("victim%%elsewhere.example@%s" % DOMAIN, "victim!elsewhere@%s" % DOMAIN):
            code, text = r.cmd("RCPT TO:<%s>" % rcpt)
            self.assertEqual((code, text[0][:5]), (550, "5.1.1"), rcpt)
        self.assertEqual(r.cmd("DATA")[0], 554)
        self.assertEqual(r.cmd("QUIT")[0], 221)
        line = wait_for_log(self.srv, r"from=<spammer@example\.net> to= rejected=<victim@elsewhere")
        self.assertIn("result=", line)

    def test_unknown_user(self):
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        code, text = r.cmd("RCPT TO:<nobody@%s>" % DOMAIN)
        self.assertEqual(code, 550)
        self.assertTrue(text[0].startswith("5.1.1"))
        self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 250)

    def test_case_insensitive_and_quoted(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        self.assertEqual(r.cmd("RCPT TO:<Alice@Example.TEST>")[0], 250)
        self.assertEqual(r.cmd('RCPT TO:<"alice"@%s>' % DOMAIN)[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<@relay.example:alice@%s>" % DOMAIN)[0], 250)
        r.cmd("DATA")
        r.send(make_message(tok) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(len(with_token(self.messages(), tok)), 1)

    def test_alias_catchall_dedupe(self):
        tok = token()
        s = self.smtp()
        # team -> alice,bob; alice directly too; anything@other.test -> bob.
        refused = s.sendmail("carol@example.net",
                             ["team@" + DOMAIN, ALICE, "random@other.test"],
                             make_message(tok))
        self.assertEqual(refused, {})
        s.quit()
        self.assertEqual(len(with_token(self.messages(ALICE), tok)), 1)
        self.assertEqual(len(with_token(self.messages(BOB), tok)), 1)

    def test_postmaster(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<>")
        self.assertEqual(r.cmd("RCPT TO:<Postmaster>")[0], 250)
        r.cmd("DATA")
        r.send(make_message(tok) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        [m] = with_token(self.messages(), tok)
        self.assertIn(b"for <postmaster@example.test>", m)

    def test_recipient_limit(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        for i in range(self.MAX_RCPTS):
            self.assertEqual(r.cmd("RCPT TO:<a%d@%s>" % (i, DOMAIN))[0], 250)
        code, text = r.cmd("RCPT TO:<a%d@%s>" % (self.MAX_RCPTS, DOMAIN))
        self.assertEqual(code, 452)
        self.assertTrue(text[0].startswith("4.5.3"))
        r.cmd("DATA")
        r.send(make_message(tok) + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        # All aliases of alice: one copy (users are deduplicated).
        self.assertEqual(len(with_token(self.messages(), tok)), 1)

    # -- size (RFC 1870) ---------------------------------------------------

    def test_size_declared_too_big(self):
        r = self.raw()
        r.ehlo()
        code, text = r.cmd("MAIL FROM:<carol@example.net> SIZE=%d" % (self.MAX_SIZE + 1))
        self.assertEqual((code, text[0][:5]), (552, "5.3.4"))
        self.assertEqual(r.cmd("MAIL FROM:<carol@example.net> SIZE=%d" % self.MAX_SIZE)[0], 250)
        r.cmd("RSET")
        self.assertEqual(r.cmd("MAIL FROM:<c@x.example> SIZE=99999999999999999999999")[0], 501)

    def test_size_enforced_in_data(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("DATA")
        line = b"x" * 998 + b"\r\n"
        r.send(make_message(tok) + line * (self.MAX_SIZE // 1000 + 10) + b".\r\n")
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (552, "5.3.4"))
        # The session goes on; the message was not stored.
        self.assertEqual(r.cmd("NOOP")[0], 250)
        self.assertEqual(with_token(self.messages(), tok), [])
        wait_for_log(self.srv, r"result=rejected reason=\"552 5\.3\.4")

    def test_size_enforced_in_bdat(self):
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        big = b"y" * (self.MAX_SIZE + 10)
        r.send(b"BDAT %d\r\n" % len(big) + big + b"BDAT 5 LAST\r\nhello")
        self.assertEqual(r.reply()[0], 552)
        self.assertEqual(r.reply()[0], 503)	# the transaction is over
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_size_at_limit_accepted(self):
        tok = token()
        msg = make_message(tok)
        while len(msg) + 1000 <= self.MAX_SIZE:
            msg += b"z" * 998 + b"\r\n"
        msg += b"z" * (self.MAX_SIZE - len(msg) - 2) + b"\r\n"
        self.assertEqual(len(msg), self.MAX_SIZE)
        s = self.smtp()
        s.sendmail("carol@example.net", [ALICE], msg)
        s.quit()
        [m] = with_token(self.messages(), tok)
        self.assertTrue(m.endswith(msg))

    # -- other commands and errors --------------------------------------

    def test_commands(self):
        r = self.raw()
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 503)  # before EHLO
        self.assertEqual(r.cmd("NOOP"), (250, ["2.0.0 OK"]))
        r.ehlo()
        code, text = r.cmd("VRFY alice")
        self.assertEqual((code, text[0][:5]), (252, "2.0.0"))
        self.assertEqual(r.cmd("VRFY")[0], 501)
        self.assertEqual(r.cmd("EXPN team")[0], 502)
        self.assertEqual(r.cmd("HELP")[0], 214)
        self.assertEqual(r.cmd("STARTTLS")[0], 502)
        self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 503)
        self.assertEqual(r.cmd("DATA")[0], 503)
        self.assertEqual(r.cmd("RSET")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 503)  # nested
        self.assertEqual(r.cmd("DATA")[0], 503)                      # no RCPT
        self.assertEqual(r.cmd("RSET")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 503)     # RSET ended it
        code, text = r.cmd("XYZZY")
        self.assertEqual((code, text[0][:5]), (500, "5.5.1"))
        self.assertEqual(r.cmd("QUIT")[0], 221)

    def test_syntax_errors(self):
        r = self.raw()
        r.ehlo()
        for cmd, code, esc in (
                ("MAIL FROM:carol@example.net", 501, "5.1.7"),
                ("MAIL FROM:<carol@@example.net>", 501, "5.1.7"),
                ("MAIL TO:<carol@example.net>", 501, "5.5.4"),
                ("MAIL FROM:<carol@example.net> FOO=BAR", 555, "5.5.4"),
                ("MAIL FROM:<carol@example.net> BODY=BINARYMIME", 555, "5.5.4"),
                ("MAIL FROM:<carol@example.net> SIZE=abc", 501, "5.5.4"),
                ("MAIL FROM:<\u00fc@example.net>", 553, "5.6.7")):
            got, text = r.cmd(cmd)
            self.assertEqual((got, text[0][:5]), (code, esc), cmd)
        r.cmd("MAIL FROM:<carol@example.net>")
        for cmd, code, esc in (
                ("RCPT TO:<>", 501, "5.1.3"),
                ("RCPT TO:alice@example.test", 501, "5.1.3"),
                ("RCPT TO:<alice@example.test> NOTIFY=NEVER", 555, "5.5.4"),
                ("RCPT TO:<\u00fc@example.test>", 553, "5.6.7")):
            got, text = r.cmd(cmd)
            self.assertEqual((got, text[0][:5]), (code, esc), cmd)

    def test_every_reply_has_enhanced_code(self):
        r = self.raw()
        for cmd in ("NOOP", "EHLO x", "VRFY x", "HELP", "MAIL FROM:<a@b.example>",
                    "RCPT TO:<nobody@%s>" % DOMAIN, "RCPT TO:<%s>" % ALICE,
                    "RCPT TO:<x@elsewhere.example>", "BOGUS", "RSET", "QUIT"):
            code, text = r.cmd(cmd)
            if cmd.startswith("EHLO"):
                continue
            for t in text:
                self.assertRegex(t, r"^%d\.\d{1,3}\.\d{1,3} " % (code // 100), cmd)

    def test_line_too_long(self):
        r = self.raw()
        r.ehlo()
        code, text = r.cmd("NOOP " + "x" * 5000)
        self.assertEqual((code, text[0][:5]), (500, "5.5.2"))
        self.assertEqual(r.cmd("NOOP")[0], 250)
        # At the limit (1000 octets with CRLF) a line is fine.
        self.assertEqual(r.cmd("NOOP " + "y" * (1000 - 7))[0], 250)
        self.assertEqual(r.cmd("NOOP " + "y" * (1000 - 6))[0], 500)

    def test_transaction_log_lines(self):
        tok = token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<%s@example.net>" % tok)
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("RCPT TO:<nobody@%s>" % DOMAIN)
        r.cmd("RSET")
        line = wait_for_log(self.srv, "from=<%s@example.net>" % tok)
        self.assertRegex(line, r"smtp: id=[0-9A-F]{16} rip=127\.0\.0\.1 from=<%s@example\.net> "
                               r"to=<alice@example\.test> rejected=<nobody@example\.test> "
                               r"size=0 result=aborted reason=\"RSET\"$" % tok)
        # Exactly one line for that transaction.
        time.sleep(0.2)
        self.assertEqual(len([x for x in self.srv.log().splitlines()
                              if "from=<%s@example.net>" % tok in x]), 1)


if __name__ == "__main__":
    unittest.main()
