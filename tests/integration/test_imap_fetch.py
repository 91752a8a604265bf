#!/usr/bin/env python3
"""test_imap_fetch.py: FETCH, STORE, SEARCH, COPY/MOVE against a real posthornd.

Messages are delivered through the real `posthorn deliver` CLI (byte-exact:
no trace header) and over SMTP, then read with a raw IMAP client that
checks the exact bytes (literal sizes, response item names, literal8) and
with Python's imaplib. The command shapes follow the client transcripts in
shared/clients/*.imap.txt: Thunderbird's header fetch and `UID fetch n:*`
polling, mbsync's UID FETCH/STORE, fetchmail's RFC822.HEADER +
BODY.PEEK[TEXT] + STORE \\Seen, curl's BODY[] (which sets \\Seen), Outlook's
RFC822.PEEK, iOS's BODY.PEEK[1]<0.n>.
"""
import base64
import imaplib
import os
import re
import smtplib
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

DOMAIN = "example.test"


# ------------------------------------------------------------ raw client

class ImapError(AssertionError):
    pass


class Parser:
    """IMAP response data -> Python: atoms as str, strings as bytes, lists."""

    def __init__(self, data):
        self.d = data
        self.i = 0

    def skip_spaces(self):
        while self.i < len(self.d) and self.d[self.i:self.i + 1] == b" ":
            self.i += 1

    def values(self, end=None):
        out = []
        while True:
            self.skip_spaces()
            if self.i >= len(self.d):
                if end is not None:
                    raise ImapError("unterminated list")
                return out
            if end is not None and self.d[self.i:self.i + 1] == end:
                self.i += 1
                return out
            out.append(self.value())

    def value(self):
        c = self.d[self.i:self.i + 1]
        if c == b"(":
            self.i += 1
            return self.values(b")")
        if c == b'"':
            self.i += 1
            out = bytearray()
            while True:
                ch = self.d[self.i:self.i + 1]
                if ch == b"":
                    raise ImapError("unterminated quoted string")
                self.i += 1
                if ch == b'"':
                    return bytes(out)
                if ch == b"\\":
                    ch = self.d[self.i:self.i + 1]
                    self.i += 1
                out += ch
        if c == b"{" or self.d[self.i:self.i + 2] == b"~{":
            m = re.compile(rb"~?\{(\d+)\}\r\n").match(self.d, self.i)
            if not m:
                raise ImapError("bad literal at %r" % self.d[self.i:self.i + 20])
            n = int(m.group(1))
            start = m.end()
            self.i = start + n
            return Literal(self.d[start:start + n], m.group(0).startswith(b"~"))
        start = self.i
        depth = 0
        while self.i < len(self.d):
            ch = self.d[self.i:self.i + 1]
            if ch == b"[":
                depth += 1
            elif ch == b"]":
                depth -= 1
            elif depth == 0 and ch in (b" ", b")", b"("):
                break
            self.i += 1
        atom = self.d[start:self.i].decode()
        return None if atom == "NIL" else atom


class Literal(bytes):
    """A literal's bytes; .binary tells ~{n} (literal8) from {n}."""

    def __new__(cls, data, binary):
        obj = bytes.__new__(cls, data)
        obj.binary = binary
        return obj


class Raw:
    """An IMAP connection on a plain socket: exact bytes, literal-aware."""

    def __init__(self, port, timeout=30, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")
        self.greeting = self.f.readline()
        self.n = 0

    def read_response(self):
        """One response line with its literals inline (CRLF stripped)."""
        data = b""
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("connection closed")
            data += line
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                data += self.f.read(int(m.group(1)))
                continue
            return data[:-2] if data.endswith(b"\r\n") else data

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text, expect="OK"):
        """Send a command; returns (tagged line, [untagged responses])."""
        self.n += 1
        tag = "T%d" % self.n
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        untagged = []
        while True:
            r = self.read_response()
            if r.startswith(tag.encode() + b" "):
                status = r.split(b" ", 2)[1].decode()
                if expect is not None and status != expect:
                    raise ImapError("%s %s -> %r (untagged %r)" %
                                    (tag, text[:200], r, untagged))
                return r.decode("utf-8", "replace"), untagged
            if r.startswith(b"+"):
                raise ImapError("unexpected continuation %r" % r)
            untagged.append(r)

    def login(self, user, password):
        self.cmd('LOGIN "%s" "%s"' % (user, password))

    def fetch(self, text, expect="OK"):
        """FETCH responses as {msn: {item: value}}, plus the tagged line."""
        tagged, untagged = self.cmd(text, expect)
        out = {}
        for r in untagged:
            v = Parser(r).values()
            if len(v) >= 4 and v[0] == "*" and v[2].upper() == "FETCH":
                items = v[3]
                d = out.setdefault(int(v[1]), {})
                for k in range(0, len(items) - 1, 2):
                    d[items[k].upper() if items[k] else items[k]] = items[k + 1]
        return out, tagged, untagged

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def flags_of(v):
    return sorted(x for x in v)


# ------------------------------------------------------------ messages

MSG_PLAIN = (
    "From: Carol Example <carol@example.net>\r\n"
    "To: Alice <alice@example.test>\r\n"
    "Subject: Lab message 1\r\n"
    "Date: Sun, 22 Nov 2026 13:53:32 +0000\r\n"
    "Message-ID: <lab1.2624@example.net>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Alice, this is test message number 1.\r\n"
    "Second line.\r\n").encode()

PDF = b"%PDF-1.4 fake\n\x00\x01\x02binary\xff"
MSG_MULTI = (
    "From: Dave <dave@example.net>\r\n"
    "To: alice@example.test\r\n"
    "Subject: Multipart with attachment\r\n"
    "Message-ID: <mp1@example.net>\r\n"
    "X-Spam-Score: 0.1\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"===1==\"\r\n"
    "\r\n"
    "--===1==\r\n"
    "Content-Type: multipart/alternative; boundary=\"===2==\"\r\n"
    "\r\n"
    "--===2==\r\n"
    "Content-Type: text/plain; charset=\"utf-8\"\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "Plain body\r\n"
    "\r\n"
    "--===2==\r\n"
    "Content-Type: text/html; charset=\"utf-8\"\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "<p>HTML <b>body</b></p>\r\n"
    "\r\n"
    "--===2==--\r\n"
    "\r\n"
    "--===1==\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "\r\n" + base64.b64encode(PDF).decode() + "\r\n"
    "\r\n"
    "--===1==\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-unknown\r\n"
    "\r\n"
    "weird\r\n"
    "--===1==--\r\n").encode()

BODY_UTF8 = "Schöne Grüße vom Bodensee\r\nZweite Zeile\r\n".encode()
MSG_ENCODED = (
    "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\n"
    "To: alice@example.test\r\n"
    "Subject: =?UTF-8?B?" + base64.b64encode("Grüße aus München".encode()).decode() +
    "?=\r\n"
    "Date: Wed, 1 Jan 2020 00:30:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n" + base64.b64encode(BODY_UTF8).decode() + "\r\n").encode()

MSG_QP = (
    "From: Eve <eve@example.org>\r\n"
    "To: alice@example.test\r\n"
    "Cc: Bob <bob@example.test>\r\n"
    "Subject: =?ISO-8859-1?Q?Re:_caf=E9?=\r\n"
    "Date: Tue, 3 Mar 2021 10:00:00 -0500\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=XX\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Un caf=E9 cr=E8me, s'il vous pla=EEt.\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: forwarded inner\r\n"
    "From: inner@example.org\r\n"
    "\r\n"
    "Inner body text\r\n"
    "--XX--\r\n").encode("latin-1")

CORPUS = [MSG_PLAIN, MSG_MULTI, MSG_ENCODED, MSG_QP]


def header_of(msg):
    return msg[:msg.index(b"\r\n\r\n") + 4]


def text_of(msg):
    return msg[msg.index(b"\r\n\r\n") + 4:]


# ------------------------------------------------------------ fixture

class ImapCase(unittest.TestCase):
    """One daemon per class; every test gets a fresh user with the corpus."""

    srv = None
    user_seq = 0

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(domain=DOMAIN)
        cls.srv.__enter__()
        cls.port = cls.srv.port("imap")

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        ImapCase.user_seq += 1
        self.user = "u%d-%s@%s" % (ImapCase.user_seq, self.id().split(".")[-1][:20]
                                   .replace("_", "-"), DOMAIN)
        self.password = "pw-%d-secret" % ImapCase.user_seq
        self.srv.cli("user", "add", self.user, input=self.password + "\n")
        for m in self.corpus():
            self.deliver(m)
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()

    def corpus(self):
        return CORPUS

    def deliver(self, msg, to=None):
        r = self.srv.cli("deliver", to or self.user, input=msg.decode("latin-1"),
                         check=False)
        # The CLI reads text; latin-1 round-trips any byte.
        self.assertEqual(r.returncode, 0, r.stderr)

    def raw(self, select="INBOX", rcvbuf=None):
        c = Raw(self.port, rcvbuf=rcvbuf)
        self.conns.append(c)
        c.login(self.user, self.password)
        if select:
            c.cmd("SELECT " + select)
        return c

    def imaplib(self):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(self.user, self.password)
        return m

    def flags(self, c, seq, uid=False):
        res, _, _ = c.fetch(("UID " if uid else "") + "FETCH %s (FLAGS)" % seq)
        return {k: flags_of(v["FLAGS"]) for k, v in res.items()}


# ------------------------------------------------------------ FETCH

class TestFetch(ImapCase):

    def test_simple_items(self):
        c = self.raw()
        res, tagged, _ = c.fetch("FETCH 1:4 (UID FLAGS INTERNALDATE RFC822.SIZE)")
        self.assertEqual(sorted(res), [1, 2, 3, 4])
        for i, msg in enumerate(CORPUS, 1):
            self.assertEqual(res[i]["UID"], str(i))
            self.assertEqual(int(res[i]["RFC822.SIZE"]), len(msg))
            self.assertRegex(res[i]["INTERNALDATE"].decode(),
                             r"^\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
            self.assertEqual(res[i]["FLAGS"], ["\\Recent"])
        self.assertIn("OK", tagged)

    def test_body_peek_exact(self):
        c = self.raw()
        for i, msg in enumerate(CORPUS, 1):
            res, _, raw = c.fetch("FETCH %d (BODY.PEEK[])" % i)
            self.assertEqual(res[i]["BODY[]"], msg)
            # The literal size on the wire is exact.
            self.assertIn(b"BODY[] {%d}\r\n" % len(msg), raw[0])
        # PEEK did not set \Seen.
        self.assertEqual(self.flags(c, "1:4")[1], ["\\Recent"])

    def test_sections(self):
        c = self.raw()
        res, _, _ = c.fetch(
            "FETCH 2 (BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.1] "
            "BODY.PEEK[1.2] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[1.1.MIME] "
            "BODY.PEEK[HEADER.FIELDS (subject From)] "
            "BODY.PEEK[HEADER.FIELDS.NOT (From To Subject Message-ID MIME-Version "
            "Content-Type)] BODY.PEEK[9])")
        r = res[2]
        self.assertEqual(r["BODY[HEADER]"], header_of(MSG_MULTI))
        self.assertEqual(r["BODY[TEXT]"], text_of(MSG_MULTI))
        self.assertEqual(r["BODY[1.1]"], b"Plain body\r\n")
        self.assertEqual(r["BODY[1.2]"], b"<p>HTML <b>body</b></p>\r\n")
        self.assertTrue(r["BODY[1]"].startswith(b"--===2==\r\n"))
        self.assertEqual(r["BODY[2]"], base64.b64encode(PDF) + b"\r\n")
        self.assertTrue(r["BODY[2.MIME]"].startswith(b"Content-Type: application/pdf\r\n"))
        self.assertTrue(r["BODY[2.MIME]"].endswith(b"\r\n\r\n"))
        self.assertEqual(r["BODY[1.1.MIME]"],
                         b"Content-Type: text/plain; charset=\"utf-8\"\r\n"
                         b"Content-Transfer-Encoding: 7bit\r\n\r\n")
        self.assertEqual(r["BODY[HEADER.FIELDS (SUBJECT FROM)]"],
                         b"From: Dave <dave@example.net>\r\n"
                         b"Subject: Multipart with attachment\r\n\r\n")
        self.assertEqual(r["BODY[HEADER.FIELDS.NOT (FROM TO SUBJECT MESSAGE-ID "
                           "MIME-VERSION CONTENT-TYPE)]"],
                         b"X-Spam-Score: 0.1\r\n\r\n")
        self.assertIsNone(r["BODY[9]"])
        # message/rfc822 parts: HEADER/TEXT of the encapsulated message.
        res, _, _ = c.fetch("FETCH 4 (BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] "
                            "BODY.PEEK[2.1] BODY.PEEK[1])")
        self.assertEqual(res[4]["BODY[2.HEADER]"],
                         b"Subject: forwarded inner\r\nFrom: inner@example.org\r\n\r\n")
        # The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).
        self.assertEqual(res[4]["BODY[2.TEXT]"], b"Inner body text")
        self.assertEqual(res[4]["BODY[2.1]"], b"Inner body text")
        self.assertEqual(res[4]["BODY[1]"], b"Un caf=E9 cr=E8me, s'il vous pla=EEt.")

    def test_partial(self):
        c = self.raw()
        res, _, raw = c.fetch("FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<6.5> "
                              "BODY.PEEK[]<290.100> BODY.PEEK[]<100000.5>)")
        r = res[1]
        self.assertEqual(r["BODY[]<0>"], MSG_PLAIN[:10])
        self.assertEqual(r["BODY[TEXT]<6>"], text_of(MSG_PLAIN)[6:11])
        self.assertEqual(r["BODY[]<290>"], MSG_PLAIN[290:])
        self.assertEqual(r["BODY[]<100000>"], b"")
        self.assertIn(b"BODY[]<0> {10}\r\n", raw[0])
        # iOS: UID FETCH n (UID BODY.PEEK[1]<0.393216>)
        res, _, raw = c.fetch("UID FETCH 1 (UID BODY.PEEK[1]<0.393216>)")
        self.assertEqual(res[1]["BODY[1]<0>"], text_of(MSG_PLAIN))
        self.assertIn(b"* 1 FETCH (UID 1 BODY[1]<0> {%d}\r\n" % len(text_of(MSG_PLAIN)),
                      raw[0])

    def test_structure(self):
        c = self.raw()
        res, _, _ = c.fetch("FETCH 1:4 (ENVELOPE BODY BODYSTRUCTURE)")
        env = res[1]["ENVELOPE"]
        self.assertEqual(env[0], b"Sun, 22 Nov 2026 13:53:32 +0000")
        self.assertEqual(env[1], b"Lab message 1")
        self.assertEqual(env[2], [[b"Carol Example", None, b"carol", b"example.net"]])
        self.assertEqual(env[9], b"<lab1.2624@example.net>")
        bs = res[1]["BODYSTRUCTURE"]
        self.assertEqual([x.lower() if isinstance(x, bytes) else x for x in bs[:2]],
                         [b"text", b"plain"])
        self.assertEqual(int(bs[6]), len(text_of(MSG_PLAIN)))
        bs = res[2]["BODYSTRUCTURE"]
        self.assertIsInstance(bs[0], list)          # multipart/mixed
        self.assertIsInstance(bs[0][0], list)       # multipart/alternative
        self.assertIn(b"alternative", [x.lower() for x in bs[0] if isinstance(x, bytes)])
        self.assertIn(b"mixed", [x.lower() for x in bs if isinstance(x, bytes)])
        self.assertEqual(res[3]["ENVELOPE"][1],
                         b"=?UTF-8?B?" + base64.b64encode("Grüße aus München".encode())
                         + b"?=")
        # The cached answer is the same the second time.
        again, _, _ = c.fetch("FETCH 1:4 (ENVELOPE BODY BODYSTRUCTURE)")
        self.assertEqual(again, res)

    def test_macros(self):
        c = self.raw()
        res, _, _ = c.fetch("FETCH 1 ALL")
        self.assertEqual(sorted(res[1]), ["ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822.SIZE"])
        res, _, _ = c.fetch("FETCH 1 FAST")
        self.assertEqual(sorted(res[1]), ["FLAGS", "INTERNALDATE", "RFC822.SIZE"])
        res, _, _ = c.fetch("FETCH 1 FULL")
        self.assertEqual(sorted(res[1]), ["BODY", "ENVELOPE", "FLAGS", "INTERNALDATE",
                                          "RFC822.SIZE"])
        c.cmd("FETCH 1 (ALL)", expect="BAD")

    def test_rfc822_items(self):
        c = self.raw()
        res, _, _ = c.fetch("FETCH 1 (RFC822.HEADER RFC822.SIZE)")
        self.assertEqual(res[1]["RFC822.HEADER"], header_of(MSG_PLAIN))
        self.assertEqual(self.flags(c, 1)[1], ["\\Recent"])
        # Outlook's RFC822.PEEK: the whole message, no \Seen.
        res, _, _ = c.fetch("FETCH 1 (RFC822.PEEK)")
        self.assertEqual(res[1]["RFC822"], MSG_PLAIN)
        self.assertEqual(self.flags(c, 1)[1], ["\\Recent"])
        res, _, _ = c.fetch("FETCH 1 RFC822.TEXT")
        self.assertEqual(res[1]["RFC822.TEXT"], text_of(MSG_PLAIN))
        self.assertEqual(flags_of(res[1]["FLAGS"]), ["\\Recent", "\\Seen"])
        res, _, _ = c.fetch("FETCH 2 RFC822")
        self.assertEqual(res[2]["RFC822"], MSG_MULTI)
        self.assertIn("\\Seen", res[2]["FLAGS"])

    def test_body_sets_seen(self):
        c = self.raw()
        # curl: UID FETCH n BODY[] sets \Seen and reports FLAGS.
        res, _, raw = c.fetch("UID FETCH 3 BODY[]")
        self.assertEqual(len(raw), 1)           # no second FETCH FLAGS from sync
        self.assertEqual(res[3]["BODY[]"], MSG_ENCODED)
        self.assertEqual(res[3]["UID"], "3")
        self.assertEqual(flags_of(res[3]["FLAGS"]), ["\\Recent", "\\Seen"])
        self.assertTrue(raw[0].startswith(b"* 3 FETCH (UID 3 BODY[] {"))
        # A second fetch reports no implicit FLAGS (nothing changed).
        res, _, _ = c.fetch("UID FETCH 3 BODY[]")
        self.assertNotIn("FLAGS", res[3])
        # Another session sees \Seen, without \Recent.
        c2 = self.raw()
        self.assertEqual(self.flags(c2, 3)[3], ["\\Seen"])
        # EXAMINE never sets \Seen.
        c3 = self.raw("INBOX")
        c3.cmd("EXAMINE INBOX")
        res, _, _ = c3.fetch("FETCH 1 BODY[TEXT]")
        self.assertNotIn("FLAGS", res[1])
        self.assertEqual(self.flags(c3, 1)[1], [])

    def test_uid_fetch_past_end(self):
        c = self.raw()
        # Thunderbird's poll: UID fetch <uidnext>:* (FLAGS) names the last message.
        res, _, raw = c.fetch("UID fetch 5:* (FLAGS)")
        self.assertEqual(list(res), [4])
        self.assertEqual(res[4]["UID"], "4")
        res, _, _ = c.fetch("UID FETCH 1000:* (FLAGS)")
        self.assertEqual(list(res), [4])
        # UID FETCH always carries UID; missing UIDs are ignored.
        res, _, raw = c.fetch("UID FETCH 2,99,3 (FLAGS)")
        self.assertEqual(sorted(res), [2, 3])
        self.assertTrue(raw[0].startswith(b"* 2 FETCH (UID 2 FLAGS ("))
        res, _, _ = c.fetch("UID FETCH 50:60 (FLAGS)")
        self.assertEqual(res, {})
        res, _, _ = c.fetch("FETCH 4:* (UID)")
        self.assertEqual(list(res), [4])
        res, _, _ = c.fetch("FETCH * (UID)")
        self.assertEqual(res[4]["UID"], "4")
        res, _, _ = c.fetch("FETCH 4:1 (UID)")
        self.assertEqual(sorted(res), [1, 2, 3, 4])

    def test_bad_sets(self):
        c = self.raw()
        for cmd in ("FETCH 5 FLAGS", "FETCH 0 FLAGS", "FETCH 1:5 FLAGS", "FETCH a FLAGS",
                    "FETCH 1,,2 FLAGS", "FETCH 4294967296 FLAGS", "FETCH 1 (FLAGS",
                    "FETCH 1 BOGUS", "FETCH 1 BODY[HEADER.FIELDS]", "FETCH 1",
                    "FETCH 1 (FLAGS) (VANISHED)", "UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)"):
            tagged, _ = c.cmd(cmd, expect="BAD")
        # The session is still usable.
        self.assertEqual(self.flags(c, 1)[1], ["\\Recent"])

    def test_empty_mailbox(self):
        c = self.raw("Drafts")
        res, _, _ = c.fetch("UID FETCH 1:* (FLAGS)")
        self.assertEqual(res, {})
        res, _, _ = c.fetch("FETCH 1:* (FLAGS)")
        self.assertEqual(res, {})
        c.cmd("FETCH 1 FLAGS", expect="BAD")

    def test_thunderbird_header_fetch(self):
        c = self.raw()
        res, tagged, raw = c.fetch(
            "UID fetch 1:6 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc "
            "Bcc Subject Date Message-ID Priority X-Priority References Newsgroups "
            "In-Reply-To Content-Type Reply-To Received)])")
        name = ("BODY[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY "
                "X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO "
                "RECEIVED)]")
        self.assertEqual(sorted(res), [1, 2, 3, 4])
        expect1 = (b"From: Carol Example <carol@example.net>\r\n"
                   b"To: Alice <alice@example.test>\r\n"
                   b"Subject: Lab message 1\r\n"
                   b"Date: Sun, 22 Nov 2026 13:53:32 +0000\r\n"
                   b"Message-ID: <lab1.2624@example.net>\r\n"
                   b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
        self.assertEqual(res[1][name], expect1)
        self.assertEqual(raw[0], b"* 1 FETCH (UID 1 RFC822.SIZE %d FLAGS (\\Recent) %s {%d}\r\n"
                         % (len(MSG_PLAIN), name.encode(), len(expect1)) + expect1 + b")")
        for i in (2, 3, 4):
            self.assertIn(b"Subject:", res[i][name])
            self.assertNotIn(b"MIME-Version", res[i][name])
        # Then the offline store: UID fetch 1:6 (UID RFC822.SIZE BODY.PEEK[])
        res, _, _ = c.fetch("UID fetch 1:6 (UID RFC822.SIZE BODY.PEEK[])")
        for i, msg in enumerate(CORPUS, 1):
            self.assertEqual(res[i]["BODY[]"], msg)
            self.assertEqual(int(res[i]["RFC822.SIZE"]), len(msg))

    def test_binary(self):
        c = self.raw()
        res, _, raw = c.fetch("FETCH 2 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1.1])")
        self.assertEqual(res[2]["BINARY[2]"], PDF)
        self.assertTrue(res[2]["BINARY[2]"].binary)        # NULs: literal8
        self.assertEqual(int(res[2]["BINARY.SIZE[2]"]), len(PDF))
        self.assertEqual(res[2]["BINARY[1.1]"], b"Plain body\r\n")
        self.assertFalse(res[2]["BINARY[1.1]"].binary)
        res, _, _ = c.fetch("FETCH 3 (BINARY.PEEK[1] BINARY.PEEK[1]<0.6>)")
        self.assertEqual(res[3]["BINARY[1]"], BODY_UTF8)
        self.assertEqual(res[3]["BINARY[1]<0>"], BODY_UTF8[:6])
        self.assertEqual(self.flags(c, 3)[3], ["\\Recent"])
        # An encoding we cannot undo: NO [UNKNOWN-CTE] (RFC 3516 4.3).
        tagged, _ = c.cmd("FETCH 2 BINARY.PEEK[3]", expect="NO")
        self.assertIn("[UNKNOWN-CTE]", tagged)
        # BINARY without PEEK sets \Seen.
        res, _, _ = c.fetch("FETCH 1 BINARY[1]")
        self.assertIn("\\Seen", res[1]["FLAGS"])

    def test_large_body_streamed(self):
        body = b"".join(b"line %07d of a big message, with some padding text\r\n" % i
                        for i in range(120000))
        big = (b"From: big@example.net\r\nSubject: big\r\n\r\n" + body)
        self.deliver(big)
        # A small receive buffer and a slow reader: the server must stream
        # with backpressure and still send exactly the literal it announced.
        c = self.raw(rcvbuf=8192)
        c.send(b"B1 UID FETCH 5 (RFC822.SIZE BODY.PEEK[])\r\nB2 NOOP\r\n")
        time.sleep(0.5)
        head = c.f.readline()
        m = re.match(rb"\* 5 FETCH \(UID 5 RFC822.SIZE (\d+) BODY\[\] \{(\d+)\}\r\n$", head)
        self.assertIsNotNone(m, head)
        self.assertEqual(int(m.group(1)), len(big))
        self.assertEqual(int(m.group(2)), len(big))
        got = bytearray()
        while len(got) < len(big):
            chunk = c.f.read(min(65536, len(big) - len(got)))
            self.assertTrue(chunk)
            got += chunk
        self.assertEqual(bytes(got), big)
        self.assertEqual(c.f.readline(), b")\r\n")
        self.assertTrue(c.f.readline().startswith(b"B1 OK"))
        self.assertTrue(c.f.readline().startswith(b"B2 OK"))

    def test_big_multipart_parsed_on_worker(self):
        # Over IMAP_FETCH_PARSE_INLINE_MAX: the cache is built on a worker.
        blob = bytes(range(256)) * 6000
        b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
        big = (b"From: big@example.net\r\nSubject: big attachment\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n"
               b"--Z\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
               b"--Z\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--Z--\r\n")
        self.deliver(big)
        self.deliver(big.replace(b"big attachment", b"second big"))
        c = self.raw()
        res, _, _ = c.fetch("FETCH 5:6 (BODYSTRUCTURE BODY.PEEK[1] BINARY.PEEK[2] "
                            "BINARY.SIZE[2] ENVELOPE)")
        for n in (5, 6):
            self.assertEqual(res[n]["BODY[1]"], b"see attachment")
            self.assertEqual(res[n]["BINARY[2]"], blob)
            self.assertEqual(int(res[n]["BINARY.SIZE[2]"]), len(blob))
            # the CRLF before the boundary is not part of the body
            self.assertEqual(int(res[n]["BODYSTRUCTURE"][1][6]), len(b64) - 2)
        self.assertEqual(res[6]["ENVELOPE"][1], b"second big")
        # A client that leaves while the worker parses does no harm.
        self.deliver(big.replace(b"big attachment", b"third big"))
        c2 = self.raw()
        c2.send(b"X1 FETCH 7 (BODYSTRUCTURE)\r\n")
        c2.close()
        _, untagged = c.cmd("NOOP")
        self.assertIn(b"* 7 EXISTS", untagged)
        res, _, _ = c.fetch("FETCH 7 (BODYSTRUCTURE BODY.PEEK[1])")
        self.assertEqual(res[7]["BODY[1]"], b"see attachment")

    def test_many_messages_pipelined(self):
        for i in range(40):
            self.deliver(b"From: x@example.net\r\nSubject: n%d\r\n\r\nbody %d\r\n" % (i, i))
        c = self.raw()
        res, _, _ = c.fetch("FETCH 1:* (UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(len(res), 44)
        self.assertEqual(res[44]["BODY[HEADER.FIELDS (SUBJECT)]"], b"Subject: n39\r\n\r\n")
        # mbsync: one UID FETCH n (BODY.PEEK[]) per message, pipelined.
        c.send(b"".join(b"P%d UID FETCH %d (BODY.PEEK[])\r\n" % (i, i) for i in range(5, 45)))
        seen = 0
        while seen < 40:
            r = c.read_response()
            if r.startswith(b"P"):
                self.assertIn(b" OK ", r)
                seen += 1
            else:
                self.assertRegex(r, rb"^\* \d+ FETCH \(UID \d+ BODY\[\] \{\d+\}")

    def test_imaplib(self):
        m = self.imaplib()
        try:
            typ, data = m.select("INBOX")
            self.assertEqual(data, [b"4"])
            typ, data = m.fetch("1", "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertEqual(data[0][1], MSG_PLAIN)
            typ, data = m.uid("FETCH", "2", "(RFC822)")
            self.assertEqual(data[0][1], MSG_MULTI)
            typ, data = m.fetch("1:4", "(FLAGS)")
            self.assertEqual(len(data), 4)
        finally:
            m.logout()


# ------------------------------------------------------------ STORE

class TestStore(ImapCase):

    def test_store_variants(self):
        c = self.raw()
        res, _, _ = c.fetch("STORE 1 +FLAGS (\\Seen \\Flagged)")
        self.assertEqual(flags_of(res[1]["FLAGS"]), ["\\Flagged", "\\Recent", "\\Seen"])
        res, _, _ = c.fetch("STORE 1 -FLAGS (\\Flagged)")
        self.assertEqual(flags_of(res[1]["FLAGS"]), ["\\Recent", "\\Seen"])
        res, _, _ = c.fetch("STORE 1:2 FLAGS (\\Answered \\Draft)")
        self.assertEqual(flags_of(res[1]["FLAGS"]), ["\\Answered", "\\Draft", "\\Recent"])
        self.assertEqual(flags_of(res[2]["FLAGS"]), ["\\Answered", "\\Draft", "\\Recent"])
        # Flags without parentheses (RFC 3501 store-att-flags).
        res, _, _ = c.fetch("STORE 3 +FLAGS \\Deleted \\Seen")
        self.assertEqual(flags_of(res[3]["FLAGS"]), ["\\Deleted", "\\Recent", "\\Seen"])
        # Exactly one FETCH per message: imap_sync does not repeat it.
        _, untagged = c.cmd("STORE 1:4 +FLAGS (\\Answered)")
        self.assertEqual(sorted(u.split()[1] for u in untagged), [b"1", b"2", b"3", b"4"])
        _, untagged = c.cmd("NOOP")
        self.assertEqual(untagged, [])
        c.cmd("STORE 3:4 -FLAGS.SILENT (\\Answered)")
        # .SILENT: no untagged FETCH.
        _, untagged = c.cmd("STORE 4 +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(untagged, [])
        self.assertEqual(self.flags(c, 4)[4], ["\\Flagged", "\\Recent"])
        # UID STORE carries UID; FLAGS () clears everything but \Recent.
        res, _, raw = c.fetch("UID STORE 2 FLAGS ()")
        self.assertEqual(res[2]["UID"], "2")
        self.assertEqual(res[2]["FLAGS"], ["\\Recent"])
        # Another session sees the same flags (no \Recent there).
        c2 = self.raw()
        f = self.flags(c2, "1:4")
        self.assertEqual(f, {1: ["\\Answered", "\\Draft"], 2: [],
                             3: ["\\Deleted", "\\Seen"], 4: ["\\Flagged"]})

    def test_keywords(self):
        c = self.raw()
        kws = ["$label1", "$label2", "$label3", "$label4", "$label5", "$Forwarded",
               "$Junk", "$NotJunk", "$MDNSent", "Old"]
        tagged, untagged = c.cmd("STORE 1 +FLAGS (%s)" % " ".join(kws))
        text = b"\n".join(untagged).decode()
        # New keywords are announced in FLAGS and PERMANENTFLAGS first.
        self.assertRegex(text, r"\* FLAGS \(.*\$label1.*Old.*\)")
        self.assertIn("PERMANENTFLAGS", text)
        self.assertIn("\\*", text)
        fetch_line = [u for u in untagged if b"FETCH" in u][0]
        got = Parser(fetch_line).values()[3][1]
        self.assertEqual(sorted(got), sorted(kws + ["\\Recent"]))
        # mutt: UID STORE 3:4 +FLAGS.SILENT (Old); case-insensitive keywords.
        c.cmd("UID STORE 3:4 +FLAGS.SILENT (old)")
        self.assertIn("Old", self.flags(c, 3)[3])
        c.cmd("STORE 1 -FLAGS ($LABEL1 $junk)")
        f = self.flags(c, 1)[1]
        self.assertNotIn("$label1", f)
        self.assertNotIn("$Junk", f)
        self.assertIn("$NotJunk", f)
        # Kept across sessions, and SELECT lists them in FLAGS.
        c2 = Raw(self.port)
        self.conns.append(c2)
        c2.login(self.user, self.password)
        _, untagged = c2.cmd("SELECT INBOX")
        flags_line = [u for u in untagged if u.startswith(b"* FLAGS")][0]
        for k in kws:
            self.assertIn(k.encode(), flags_line)
        self.assertIn("$Forwarded", self.flags(c2, 1)[1])
        self.assertEqual(self.flags(c2, 4)[4], ["Old"])
        # SEARCH KEYWORD finds them.
        _, untagged = c2.cmd("SEARCH KEYWORD Old")
        self.assertEqual(untagged, [b"* SEARCH 1 3 4"])

    def test_store_errors(self):
        c = self.raw()
        for cmd in ("STORE 1 +FLAGS (\\Recent)", "STORE 1 +FLAGS (\\Bogus)",
                    "STORE 1 FLAGZ (\\Seen)", "STORE 1 +FLAGS", "STORE 9 +FLAGS (\\Seen)",
                    "STORE 1 +FLAGS (a\"b)", "STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)",
                    "STORE 1 +FLAGS ((\\Seen))"):
            c.cmd(cmd, expect="BAD")
        c.cmd("EXAMINE INBOX")
        c.cmd("STORE 1 +FLAGS (\\Seen)", expect="NO")
        self.assertEqual(self.flags(c, 1)[1], [])
        # UID STORE of UIDs that do not exist is fine.
        c.cmd("SELECT INBOX")
        _, untagged = c.cmd("UID STORE 77 +FLAGS (\\Seen)")
        self.assertEqual(untagged, [])

    def test_fetchmail_sequence(self):
        # fetchmail: RFC822.HEADER, BODY.PEEK[TEXT], STORE n +FLAGS (\Seen)
        c = self.raw()
        for n in (1, 2):
            res, _, _ = c.fetch("FETCH %d RFC822.HEADER" % n)
            self.assertEqual(res[n]["RFC822.HEADER"], header_of(CORPUS[n - 1]))
            res, _, _ = c.fetch("FETCH %d BODY.PEEK[TEXT]" % n)
            self.assertEqual(res[n]["BODY[TEXT]"], text_of(CORPUS[n - 1]))
            res, _, _ = c.fetch("STORE %d +FLAGS (\\Seen)" % n)
            self.assertIn("\\Seen", res[n]["FLAGS"])
        self.assertEqual(self.flags(c, "1:4"), {1: ["\\Recent", "\\Seen"],
                                                2: ["\\Recent", "\\Seen"],
                                                3: ["\\Recent"], 4: ["\\Recent"]})

    def test_condstore(self):
        c = self.raw(select=None)
        _, untagged = c.cmd("SELECT INBOX (CONDSTORE)")
        self.assertTrue(any(b"HIGHESTMODSEQ" in u for u in untagged), untagged)
        res, _, _ = c.fetch("FETCH 1:4 (MODSEQ)")
        modseqs = {k: int(v["MODSEQ"][0]) for k, v in res.items()}
        self.assertTrue(all(m > 0 for m in modseqs.values()))
        res, _, raw = c.fetch("STORE 1 +FLAGS (\\Flagged)")
        new1 = int(res[1]["MODSEQ"][0])
        self.assertGreater(new1, max(modseqs.values()))
        # .SILENT still reports the MODSEQ (RFC 7162 3.2).
        res, _, raw = c.fetch("STORE 2 +FLAGS.SILENT (\\Flagged)")
        self.assertNotIn("FLAGS", res[2])
        new2 = int(res[2]["MODSEQ"][0])
        # UNCHANGEDSINCE: 1 changed since modseqs[1] -> [MODIFIED 1]; 3 is fine.
        tagged, untagged = c.cmd("STORE 1,3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % modseqs[3])
        self.assertIn("[MODIFIED 1]", tagged)
        self.assertIn("\\Seen", self.flags(c, 3)[3])
        self.assertNotIn("\\Seen", self.flags(c, 1)[1])
        tagged, _ = c.cmd("UID STORE 1:4 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")
        self.assertIn("[MODIFIED 1:4]", tagged)
        # CHANGEDSINCE: only what changed after new1.
        res, _, _ = c.fetch("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % new1)
        self.assertEqual(sorted(res), [2, 3])
        self.assertIn("MODSEQ", res[2])
        res, _, _ = c.fetch("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % new2)
        self.assertEqual(sorted(res), [3])
        # SEARCH MODSEQ
        _, untagged = c.cmd("SEARCH MODSEQ %d" % new2)
        self.assertRegex(untagged[0].decode(), r"^\* SEARCH 2 3 \(MODSEQ \d+\)$")

    def test_qresync_vanished(self):
        c = self.raw(select=None)
        c.cmd("ENABLE QRESYNC")
        _, untagged = c.cmd("SELECT INBOX")
        hms = [u for u in untagged if b"HIGHESTMODSEQ" in u]
        self.assertTrue(hms, untagged)
        base = int(re.search(rb"HIGHESTMODSEQ (\d+)", hms[0]).group(1))
        c.cmd("UID STORE 2 +FLAGS.SILENT (\\Deleted)")
        _, untagged = c.cmd("EXPUNGE")
        self.assertIn(b"* VANISHED 2", untagged)
        _, untagged = c.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
        self.assertEqual(untagged[0], b"* VANISHED (EARLIER) 2")
        # Without VANISHED only the changes.
        _, untagged = c.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)
        self.assertFalse(any(b"VANISHED" in u for u in untagged))


# ------------------------------------------------------------ SEARCH

class TestSearch(ImapCase):

    def search(self, c, args, uid=False):
        _, untagged = c.cmd(("UID " if uid else "") + "SEARCH " + args)
        lines = [u for u in untagged if u.startswith(b"* SEARCH")]
        self.assertEqual(len(lines), 1, untagged)
        return [int(x) for x in lines[0].split()[2:]]

    def test_keys(self):
        c = self.raw()
        c.cmd("STORE 1 +FLAGS (\\Seen)")
        c.cmd("STORE 2 +FLAGS (\\Flagged $Junk)")
        cases = [
            ("ALL", [1, 2, 3, 4]),
            ("SEEN", [1]),
            ("UNSEEN", [2, 3, 4]),
            ("FLAGGED", [2]),
            ("KEYWORD $Junk", [2]),
            ("UNKEYWORD $Junk", [1, 3, 4]),
            ("RECENT", [1, 2, 3, 4]),
            ("NEW", [2, 3, 4]),
            ("OLD", []),
            ("1:2", [1, 2]),
            ("*", [4]),
            ("UID 2:3", [2, 3]),
            ("FROM carol", [1]),
            ("FROM CAROL", [1]),
            ("TO alice", [1, 2, 3, 4]),
            ("CC bob", [4]),
            ("SUBJECT lab", [1]),
            ("HEADER Message-ID mp1", [2]),
            ("HEADER X-Spam-Score \"\"", [2]),
            ("BODY \"Plain body\"", [2]),
            ("BODY carol", []),
            ("TEXT carol", [1]),
            ("LARGER %d" % (len(MSG_QP) - 1),
             [i for i, m in enumerate(CORPUS, 1) if len(m) > len(MSG_QP) - 1]),
            ("SMALLER %d" % (len(MSG_PLAIN) + 1), [1]),
            # message 2 has no Date: its internal date (today) counts
            ("SENTON 22-Nov-2026", [1] + ([2] if time.gmtime()[:3] == (2026, 11, 22)
                                          else [])),
            ("SENTON 1-Jan-2020", [3]),
            ("SENTBEFORE 1-Jan-2021", [3]),
            # message 2 has no Date: its internal date (now) counts
            ("SENTSINCE 1-Mar-2021", [1, 2, 4]),
            ("SINCE 1-Jan-2020", [1, 2, 3, 4]),
            ("BEFORE 1-Jan-2020", []),
            ("OR SEEN FLAGGED", [1, 2]),
            ("NOT OR SEEN FLAGGED", [3, 4]),
            ("(SEEN) (FROM carol)", [1]),
            ("OR (FROM dave SUBJECT multipart) (CC bob)", [2, 4]),
            ("YOUNGER 3600", [1, 2, 3, 4]),
            ("OLDER 3600", []),
        ]
        for args, expect in cases:
            got = self.search(c, args)
            self.assertEqual(got, expect, "SEARCH " + args)
        self.assertEqual(self.search(c, "UID 3:*", uid=True), [3, 4])
        self.assertEqual(self.search(c, "FLAGGED", uid=True), [2])

    def test_decoded_content(self):
        c = self.raw()
        for args, literal, expect in [
                ("CHARSET UTF-8 SUBJECT", "München", [3]),
                ("CHARSET UTF-8 SUBJECT", "GRÜßE AUS", [3]),
                ("CHARSET UTF-8 FROM", "jörg", [3]),
                ("CHARSET UTF-8 BODY", "bodensee", [3]),
                ("CHARSET UTF-8 BODY", "Grüße vom", [3]),
                ("CHARSET UTF-8 SUBJECT", "café", [4]),
                ("CHARSET UTF-8 BODY", "café crème", [4]),
                ("CHARSET UTF-8 TEXT", "PLAÎT", [4]),
                ("BODY", "inner body", [4]),
                ("BODY", "fake", [])]:
            got = self.search_literal(c, args, literal.encode())
            self.assertEqual(got, expect, args + " " + literal)
        # imaplib with a UTF-8 literal, as Python users do it.
        m = self.imaplib()
        try:
            m.select("INBOX")
            m.literal = "Grüße".encode()
            typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
            self.assertEqual(typ, "OK")
            self.assertEqual(data, [b"3"])
        finally:
            m.logout()

    def search_literal(self, c, args, literal):
        """SEARCH args {n} literal, waiting for '+' like a real client."""
        c.n += 1
        tag = b"L%d" % c.n
        c.send(tag + b" SEARCH " + args.encode() + b" {%d}\r\n" % len(literal))
        cont = c.f.readline()
        self.assertTrue(cont.startswith(b"+"), cont)
        c.send(literal + b"\r\n")
        result = None
        while True:
            r = c.read_response()
            if r.startswith(b"* SEARCH"):
                result = [int(x) for x in r.split()[2:]]
            if r.startswith(tag + b" "):
                self.assertIn(b" OK ", r)
                return result

    def test_charset_errors(self):
        c = self.raw()
        tagged, _ = c.cmd("SEARCH CHARSET ISO-8859-1 SUBJECT x", expect="NO")
        self.assertIn("[BADCHARSET (UTF-8 US-ASCII)]", tagged)
        self.assertEqual(self.search(c, "CHARSET US-ASCII SUBJECT lab"), [1])
        for bad in ("FOO", "SUBJECT", "OR SEEN", "BEFORE 2020-01-01", "()", "UID x",
                    "LARGER x", "NOT", "ALL)"):
            c.cmd("SEARCH " + bad, expect="BAD")

    def test_esearch(self):
        c = self.raw()
        c.cmd("STORE 2,4 +FLAGS (\\Flagged)")
        for args, data in [
                ("SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED", b" MIN 2 MAX 4 COUNT 2 ALL 2,4"),
                ("UID SEARCH RETURN (COUNT) ALL", b" UID COUNT 4"),
                ("SEARCH RETURN () 1:3", b" ALL 1:3"),
                ("SEARCH RETURN (MIN MAX) DELETED", b""),
                ("SEARCH RETURN (COUNT) DELETED", b" COUNT 0"),
                ("UID SEARCH RETURN (MAX) UNFLAGGED", b" UID MAX 3")]:
            _, untagged = c.cmd(args)
            self.assertEqual(untagged, [b'* ESEARCH (TAG "T%d")' % c.n + data], args)
        # IMAP4rev2: a plain SEARCH answers with ESEARCH ALL.
        c.cmd("ENABLE IMAP4rev2")
        _, untagged = c.cmd("UID SEARCH FLAGGED")
        self.assertEqual(untagged, [b'* ESEARCH (TAG "T%d") UID ALL 2,4' % c.n])

    def test_python_uid_search(self):
        m = self.imaplib()
        try:
            m.select("INBOX")
            typ, data = m.uid("SEARCH", None, "ALL")
            self.assertEqual(data, [b"1 2 3 4"])
            typ, data = m.search(None, '(OR FROM "carol" FROM "dave")')
            self.assertEqual(data, [b"1 2"])
        finally:
            m.logout()


# ------------------------------------------------------------ COPY / MOVE

class TestCopyMove(ImapCase):

    def test_copy(self):
        c = self.raw()
        c.cmd("STORE 2 +FLAGS ($label2 \\Flagged)")
        tagged, _ = c.cmd("COPY 1:2 Archive")
        m = re.search(r"\[COPYUID (\d+) (\S+) (\S+)\]", tagged)
        self.assertIsNotNone(m, tagged)
        self.assertEqual(m.group(2), "1:2")
        self.assertEqual(m.group(3), "1:2")
        # The copies: same bytes, same flags and keywords, \Recent.
        c2 = self.raw("Archive")
        res, _, _ = c2.fetch("UID FETCH 1:* (FLAGS BODY.PEEK[])")
        self.assertEqual(res[1]["BODY[]"], MSG_PLAIN)
        self.assertEqual(res[2]["BODY[]"], MSG_MULTI)
        self.assertEqual(flags_of(res[2]["FLAGS"]), ["$label2", "\\Flagged", "\\Recent"])
        _, untagged = c2.cmd("STATUS INBOX (MESSAGES)")
        # The sources stay.
        self.assertIn(b"MESSAGES 4", untagged[0])
        # UID COPY in reverse order keeps pairs by position.
        tagged, _ = c.cmd("UID COPY 4,3 Archive")
        m = re.search(r"\[COPYUID \d+ (\S+) (\S+)\]", tagged)
        self.assertEqual(m.group(1), "3:4")
        self.assertEqual(m.group(2), "3:4")
        # TRYCREATE for a missing mailbox; nothing copied.
        tagged, _ = c.cmd("COPY 1 Nowhere", expect="NO")
        self.assertIn("[TRYCREATE]", tagged)
        c.cmd("COPY 9 Archive", expect="BAD")
        tagged, _ = c.cmd("UID COPY 99 Archive")
        self.assertNotIn("COPYUID", tagged)
        # Copy into the selected mailbox itself: new messages show up.
        tagged, untagged = c.cmd("COPY 1 INBOX")
        self.assertIn(b"* 5 EXISTS", untagged)

    def test_move(self):
        c = self.raw()
        _, untagged = c.cmd("MOVE 2:3 Trash")
        self.assertTrue(untagged[0].startswith(b"* OK [COPYUID "), untagged)
        self.assertRegex(untagged[0].decode(), r"COPYUID \d+ 2:3 1:2\]")
        # Expunges highest first (or any order that keeps MSNs valid).
        self.assertEqual(untagged[1:], [b"* 3 EXPUNGE", b"* 2 EXPUNGE"])
        res, _, _ = c.fetch("FETCH 1:* (UID)")
        self.assertEqual({k: v["UID"] for k, v in res.items()}, {1: "1", 2: "4"})
        c2 = self.raw("Trash")
        res, _, _ = c2.fetch("FETCH 1:* (BODY.PEEK[])")
        self.assertEqual(res[1]["BODY[]"], MSG_MULTI)
        self.assertEqual(res[2]["BODY[]"], MSG_ENCODED)
        # UID MOVE with QRESYNC: VANISHED instead of EXPUNGE.
        c.cmd("ENABLE QRESYNC")
        _, untagged = c.cmd("UID MOVE 4 Archive")
        self.assertTrue(untagged[0].startswith(b"* OK [COPYUID "))
        self.assertIn(b"* VANISHED 4", untagged)
        tagged, _ = c.cmd("MOVE 1 Nowhere", expect="NO")
        self.assertIn("[TRYCREATE]", tagged)
        c.cmd("EXAMINE INBOX")
        c.cmd("MOVE 1 Trash", expect="NO")

    def test_move_other_session_sees_expunge(self):
        c = self.raw()
        other = self.raw()
        c.cmd("UID MOVE 1 Junk")
        _, untagged = other.cmd("NOOP")
        self.assertIn(b"* 1 EXPUNGE", untagged)
        res, _, _ = other.fetch("FETCH 1:* (UID)")
        self.assertEqual(sorted(v["UID"] for v in res.values()), ["2", "3", "4"])


# ------------------------------------------------------------ over SMTP

class TestSmtpDelivered(ImapCase):

    def corpus(self):
        return []

    def test_smtp_then_fetch(self):
        body = ("Subject: over smtp\r\nFrom: carol@example.net\r\nTo: %s\r\n"
                "Message-ID: <smtp1@example.net>\r\n\r\nHello over SMTP.\r\n.dot line\r\n"
                % self.user).encode()
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=15) as s:
            s.sendmail("carol@example.net", [self.user], body)
        c = self.raw()
        res, _, _ = c.fetch("FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT] "
                            "BODY.PEEK[HEADER.FIELDS (Subject)])")
        whole = res[1]["BODY[]"]
        # A trace header is prepended; the message follows byte for byte.
        self.assertTrue(whole.endswith(body), whole)
        self.assertEqual(int(res[1]["RFC822.SIZE"]), len(whole))
        self.assertEqual(res[1]["BODY[TEXT]"], b"Hello over SMTP.\r\n.dot line\r\n")
        self.assertEqual(res[1]["BODY[HEADER.FIELDS (SUBJECT)]"], b"Subject: over smtp\r\n\r\n")
        _, untagged = c.cmd("SEARCH TEXT \"over smtp\"")
        self.assertEqual(untagged, [b"* SEARCH 1"])


if __name__ == "__main__":
    unittest.main()
