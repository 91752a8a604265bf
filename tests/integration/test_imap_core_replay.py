#!/usr/bin/env python3
"""test_imap_core_replay.py: replay the real clients' IMAP conversations of
shared/clients/*.imap.txt against posthornd and check that every command
gets the answer the client got from Dovecot (OK), in order.

Each transcript file (Thunderbird's first sync, polling, IDLE and the
Sent-copy APPEND {n+}; mutt's pipelined start; mbsync's pipelined UID
FETCHes; offlineimap's ID before STARTTLS; fetchmail, getmail, curl,
Python) is replayed connection by connection, with the client's own
bytes: STARTTLS and the implicit-TLS port are real TLS here, the SASL
blobs are re-encoded from the decoded form the capture shows, literals keep
their kind ({n} waits for our "+", {n+} does not), and pipelined commands
go out before their answers are read, exactly as in the capture. The user
is the capture's alice@clientlab.test with the capture's password, and the
mailboxes hold what the clients expected to find.

Besides the per-tag status, a few answers each client depends on are
checked: capabilities in the greeting and the login reply, special-use
LIST replies with \\Subscribed, APPENDUID, "+ idling", the delimiter from
LIST "" "", and Thunderbird's UID FETCH <uidnext>:* polling.
"""
import base64
import glob
import os
import re
import smtplib
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.environ.get("POSTHORN_CLIENTS_DIR",
                         os.path.join(HERE, "..", "..", "..", "shared", "clients"))
USER = "alice@clientlab.test"
TIMEOUT = 120 if os.environ.get("POSTHORN_VALGRIND") else 20
PASSWORD = "PASS"

EVENT = re.compile(r"^\+[\d.]+ (C|S): ?(.*)$")
LITERAL = re.compile(r"(~?)\{(\d+)(\+?)\}$")
B64 = re.compile(r"<base64:(.*?)>")


def parse_transcript(path):
    """[(label, port, [events])] where an event is ('C'|'S', text) or ('TLS', None)."""
    conns = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("== connection "):
                m = re.search(r"imap-(\d+)", line)
                conns.append((line[len("== connection "):], int(m.group(1)), []))
                continue
            if not conns:
                continue
            if line.startswith("+") and "-- TLS established" in line:
                conns[-1][2].append(("TLS", None))
                continue
            m = EVENT.match(line)
            if m:
                conns[-1][2].append((m.group(1), m.group(2)))
    return conns


def sasl(text):
    """The capture shows SASL blobs decoded; put them back into base64."""
    def enc(m):
        raw = m.group(1).replace("\\0", "\0")
        return base64.b64encode(raw.encode()).decode()
    return B64.sub(enc, text)


class Conn:
    def __init__(self, port, implicit_tls, ctx):
        self.ctx = ctx
        sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        if implicit_tls:
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.f = sock.makefile("rb")
        self.greeting = self.read_line()

    def read_line(self):
        data = self.f.readline(1 << 22)
        if not data:
            raise EOFError("connection closed")
        return data.rstrip(b"\r\n")

    def read_item(self):
        """One response line with its literals inlined."""
        line = self.read_line()
        while True:
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return line
            line += b"\r\n" + self.f.read(int(m.group(1))) + self.read_line()

    def starttls(self):
        self.f.close()
        self.sock = self.ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.f = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Replay:
    """Replays one connection; collects what the test asserts on."""

    def __init__(self, case, label, port, events, srv, ctx):
        self.case = case
        self.label = label
        self.events = events
        implicit = port == 20993
        self.conn = Conn(srv.port("imaps" if implicit else "imap"), implicit, ctx)
        self.tls = implicit
        self.responses = {}     # tag -> [lines]
        self.expected = set()   # tags the capture shows a tagged answer for
        self.commands = {}      # tag -> command text
        self.untagged = []

    def fail(self, msg):
        self.case.fail("%s: %s" % (self.label, msg))

    def wait_tagged(self, tag, want_status):
        lines = []
        while True:
            ln = self.conn.read_item()
            if ln.startswith(b"+ "):
                self.fail("unexpected continuation %r while waiting for %s" % (ln, tag))
            lines.append(ln)
            if ln.startswith(tag.encode() + b" "):
                break
        self.responses[tag] = lines
        got = lines[-1].split(b" ")[1].decode()
        if got != want_status:
            self.fail("%s %r: got %r, Dovecot said %s" %
                      (tag, self.commands.get(tag), lines[-1], want_status))

    def wait_continuation(self):
        while True:
            ln = self.conn.read_item()
            if ln.startswith(b"+"):
                return ln
            self.untagged.append(ln)
            if re.match(rb"^\S+ (BAD|NO) ", ln):
                self.fail("refused instead of a continuation: %r" % ln)

    def run(self):
        ev = self.events
        i = 0
        while i < len(ev):
            kind, text = ev[i]
            i += 1
            if kind == "TLS":
                if not self.tls:        # implicit TLS is logged too
                    self.conn.starttls()
                    self.tls = True
                continue
            if kind == "S":
                m = re.match(r"^(\S+) (OK|NO|BAD)\b", text)
                if text.startswith("+"):
                    self.wait_continuation()
                elif m and m.group(1) in self.commands:
                    self.expected.add(m.group(1))
                    self.wait_tagged(m.group(1), m.group(2))
                continue
            # a client line
            text = sasl(text)
            m = re.match(r"^(\S+) ([A-Za-z]+)", text)
            if m and not text.startswith("DONE") and m.group(1) not in self.commands:
                self.commands[m.group(1)] = text
            lm = LITERAL.search(text)
            if not lm:
                self.conn.send(text.encode() + b"\r\n")
                continue
            # gather the literal from the following client lines
            want = int(lm.group(2))
            body = b""
            j = i
            while j < len(ev) and len(body) < want:
                if ev[j][0] == "C":
                    body += ev[j][1].encode() + b"\r\n"
                j += 1
            sync = lm.group(3) == ""
            head = text[:lm.start()] + "%s{%d%s}" % (lm.group(1), len(body), lm.group(3))
            self.conn.send(head.encode() + b"\r\n")
            if sync:
                self.wait_continuation()
            self.conn.send(body)
            # the line that ends the command follows the literal
            i = j
            # any S events skipped while gathering (the "+ OK") are consumed
        self.conn.close()


class TestReplay(unittest.TestCase):

    def setUp(self):
        if not os.path.isdir(CLIENTS):
            self.skipTest("no client transcripts at %s" % CLIENTS)
        srv = harness.Server(domain="clientlab.test", users={USER: PASSWORD},
                             listen=("smtp", "imap", "imaps"))
        srv.cert = os.path.join(srv.tmp, "cert.pem")
        srv.key = os.path.join(srv.tmp, "key.pem")
        srv.extra_config.update({"tls_cert": srv.cert, "tls_key": srv.key})
        srv.write_config()
        srv.cli("cert", "selfsigned", "localhost")
        srv.__enter__()
        self.addCleanup(srv.__exit__, None, None, None)
        self.srv = srv
        self.ctx = ssl.create_default_context(cafile=srv.cert)
        self.populate()

    def populate(self):
        """What the clients found on the capture's Dovecot."""
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=TIMEOUT) as s:
            for n in range(1, 8):
                s.sendmail("carol@example.net", [USER],
                           ("From: Carol Example <carol@example.net>\r\n"
                            "To: Alice <%s>\r\nSubject: Lab message %d\r\n"
                            "Date: Sun, 22 Nov 2026 13:53:32 +0000\r\n"
                            "Message-ID: <lab%d.2624@example.net>\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                            "Body of message %d.\r\n" % (USER, n, n, n)).encode())
        r = self.srv.cli  # noqa: F841  (mailboxes go through IMAP itself)
        c = Conn(self.srv.port("imap"), False, self.ctx)
        msg = b"From: alice@clientlab.test\r\nSubject: stored\r\n\r\nx\r\n"
        cmds = [b"a LOGIN %s %s" % (USER.encode(), PASSWORD.encode()),
                b'b CREATE "Projects/2024"']
        for box, n in (("Drafts", 2), ("Sent", 2), ("Projects", 1)):
            for k in range(n):
                cmds.append(b"x APPEND %s {%d+}\r\n%s" % (box.encode(), len(msg), msg))
        for cmd in cmds:
            tag = cmd.split(b" ")[0]
            c.send(cmd + b"\r\n")
            while True:
                ln = c.read_item()
                if ln.startswith(tag + b" "):
                    self.assertIn(b" OK ", ln, cmd)
                    break
        c.close()

    def replay_file(self, name):
        path = os.path.join(CLIENTS, name)
        results = []
        for label, port, events in parse_transcript(path):
            rp = Replay(self, label, port, events, self.srv, self.ctx)
            rp.run()
            # every command the capture shows answered was answered and compared
            self.assertEqual(set(rp.responses), rp.expected, label)
            self.assertTrue(rp.responses or not rp.commands, label)
            results.append(rp)
        self.assertTrue(results, "no connections in %s" % name)
        return results

    @staticmethod
    def find(rp, pattern):
        for tag, cmd in rp.commands.items():
            if re.search(pattern, cmd, re.I):
                yield tag, rp.responses.get(tag, [])

    def test_thunderbird(self):
        for rp in self.replay_file("thunderbird.imap.txt"):
            self.assertIn(b"[CAPABILITY ", rp.conn.greeting)
            for tag, lines in self.find(rp, r"^\S+ authenticate PLAIN$"):
                self.assertRegex(lines[-1], rb"OK \[CAPABILITY [^\]]*IDLE")
            for tag, lines in self.find(rp, r'list \(subscribed\) "" "\*" return \(special-use\)'):
                text = b"\n".join(lines)
                for attr in (rb"\\Drafts", rb"\\Sent", rb"\\Trash", rb"\\Junk", rb"\\Archive"):
                    self.assertRegex(text, rb"\([^)]*\\Subscribed[^)]*" + attr + rb"\)")
            for tag, lines in self.find(rp, r"^\S+ append "):
                self.assertRegex(lines[-1], rb"OK \[APPENDUID \d+ \d+\]")
            for tag, lines in self.find(rp, r"^\S+ UID fetch (\d+):\* \(FLAGS\)"):
                # n:* with n past the last UID still names the last message
                self.assertTrue(any(b" FETCH " in ln for ln in lines[:-1]), lines)

    def test_mutt_and_neomutt(self):
        for name in ("mutt.imap.txt", "neomutt.imap.txt"):
            for rp in self.replay_file(name):
                for tag, lines in self.find(rp, r'^\S+ LIST "" ""$'):
                    self.assertEqual(lines[0], b'* LIST (\\Noselect) "/" ""')

    def test_mbsync(self):
        for rp in self.replay_file("mbsync.imap.txt"):
            for tag, lines in self.find(rp, r"^\S+ APPEND "):
                self.assertRegex(lines[-1], rb"OK \[APPENDUID \d+ \d+\]")

    def test_offlineimap(self):
        for rp in self.replay_file("offlineimap.imap.txt"):
            for tag, lines in self.find(rp, r"^\S+ ID "):
                self.assertTrue(lines[0].startswith(b"* ID "))

    def test_fetchmail_getmail_curl_python(self):
        for name in ("fetchmail.imap.txt", "getmail.imap.txt", "curl.imap.txt",
                     "python.imap.txt"):
            self.replay_file(name)


if __name__ == "__main__":
    unittest.main()
