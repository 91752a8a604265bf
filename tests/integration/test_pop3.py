#!/usr/bin/env python3
"""test_pop3.py: POP3 (RFC 1939, RFC 2449) against a real posthornd.

Messages are delivered through the real `posthorn deliver` CLI or over
SMTP, then read back with Python's poplib, raw sockets (to see the exact
bytes on the wire), curl and fetchmail. The client command sequences follow
the transcripts in shared/clients/*.pop3.txt (getmail never sends CAPA,
fetchmail does LIST n + RETR n, Thunderbird keeps mail by UIDL).
"""
import os
import poplib
import random
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ALICE = "alice@example.test"
BOB = "bob@example.test"


def read_file(path):
    with open(path) as f:
        return f.read()


def make_message(subject, body_lines, sender="carol@example.net", to=ALICE):
    """A message as a list of lines (no line ends)."""
    return ["From: Carol <%s>" % sender,
            "To: <%s>" % to,
            "Subject: %s" % subject,
            "Message-ID: <%s.%d@example.net>" % (subject.replace(" ", "-"),
                                                 random.randrange(1 << 30)),
            ""] + list(body_lines)


class Raw:
    """A POP3 connection on a plain socket: exact bytes, no client logic."""

    def __init__(self, port, timeout=15, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:  # before connect, so the TCP window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        data = self.f.readline(70000)
        if not data:
            raise EOFError("connection closed")
        return data

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def multiline(self):
        """The raw lines of a multi-line response body, up to '.' CRLF."""
        lines = []
        while True:
            data = self.line()
            if data == b".\r\n":
                return lines
            lines.append(data)

    def login(self, user, password):
        r = self.cmd("USER " + user)
        assert r.startswith(b"+OK"), r
        r = self.cmd("PASS " + password)
        assert r.startswith(b"+OK"), r

    def closed(self, timeout=10):
        """True when the server closes the connection (after any replies)."""
        self.sock.settimeout(timeout)
        try:
            while self.f.readline():
                pass
            return True
        except OSError:
            return False

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


class Pop3Case(unittest.TestCase):
    """One daemon for the class; every test starts with empty maildrops."""

    extra_config = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(extra_config=cls.extra_config)
        cls.srv.__enter__()
        cls.port = cls.srv.port("pop3")

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def password(self, user):
        return self.srv.users[user]

    def deliver(self, lines, to=ALICE, raw=None):
        """Deliver via the CLI (an MDA: LF line ends on stdin)."""
        text = raw if raw is not None else "\n".join(lines) + "\n"
        self.srv.cli("deliver", to, input=text)

    def pop(self, user=ALICE):
        p = poplib.POP3("127.0.0.1", self.port, timeout=15)
        p.user(user)
        p.pass_(self.password(user))
        return p

    def empty(self, user):
        p = self.pop(user)
        try:
            n, _ = p.stat()
            for i in range(1, n + 1):
                p.dele(i)
        finally:
            p.quit()

    def setUp(self):
        if self.extra_config.get("plaintext_auth") == "never":
            return
        self.empty(ALICE)
        self.empty(BOB)


class TestPop3(Pop3Case):

    def test_greeting_and_capa(self):
        r = Raw(self.port)
        try:
            self.assertEqual(r.greeting, b"+OK Posthorn POP3 ready\r\n")
            self.assertTrue(r.cmd("CAPA").startswith(b"+OK"))
            caps = [c.rstrip(b"\r\n").decode() for c in r.multiline()]
            for cap in ("TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES",
                        "AUTH-RESP-CODE"):
                self.assertIn(cap, caps)
            self.assertIn("IMPLEMENTATION Posthorn", caps)
            # CAPA works after login too (RFC 2449 5).
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("CAPA").startswith(b"+OK"))
            self.assertIn(b"UIDL\r\n", r.multiline())
            self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))
        finally:
            r.close()

    def test_stat_list_uidl(self):
        msgs = [make_message("m%d" % i, ["line %d" % j for j in range(i + 1)])
                for i in range(3)]
        for m in msgs:
            self.deliver(m)
        p = self.pop()
        try:
            count, size = p.stat()
            self.assertEqual(count, 3)
            _, listing, _ = p.list()
            sizes = {int(a): int(b) for a, b in (x.split() for x in listing)}
            self.assertEqual(sorted(sizes), [1, 2, 3])
            self.assertEqual(sum(sizes.values()), size)
            # Sizes count CRLF line ends: what RETR sends, before stuffing.
            for i, m in enumerate(msgs, 1):
                lines = p.retr(i)[1]
                self.assertEqual(lines[-len(m):], [x.encode() for x in m])
                self.assertEqual(sizes[i], sum(len(x) + 2 for x in lines))
                self.assertEqual(p.list(i).split()[1:], [b"%d" % i, b"%d" % sizes[i]])
            _, uidls, _ = p.uidl()
            ids = {int(a): b for a, b in (x.split() for x in uidls)}
            self.assertEqual(sorted(ids), [1, 2, 3])
            self.assertEqual(len(set(ids.values())), 3)
            for n, uid in ids.items():
                self.assertTrue(1 <= len(uid) <= 70)
                self.assertTrue(all(0x21 <= ch <= 0x7e for ch in uid))
                self.assertEqual(p.uidl(n).split()[1:], [b"%d" % n, uid])
        finally:
            p.quit()

    def test_retr_exact(self):
        m = make_message("dots", ["first", ".leading dot", "..two dots", ".",
                                  "a.b", "", "last"])
        self.deliver(m)
        p = self.pop()
        try:
            resp, lines, octets = p.retr(1)
            # (The CLI may prepend trace headers; the message follows them.)
            self.assertEqual(lines[-len(m):], [x.encode() for x in m])
            self.assertEqual(resp, b"+OK %d octets" % sum(len(x) + 2 for x in lines))
            stored = [x.decode() for x in lines]
        finally:
            p.quit()
        # The same on the wire: byte-stuffed, CRLF everywhere, CRLF.CRLF.
        r = Raw(self.port)
        try:
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("RETR 1").startswith(b"+OK"))
            body = r.multiline()
            expect = [(("." + x) if x.startswith(".") else x).encode() + b"\r\n"
                      for x in stored]
            self.assertEqual(body, expect)
            r.cmd("QUIT")
        finally:
            r.close()

    def test_top(self):
        m = make_message("top", ["b%d" % i for i in range(10)])
        self.deliver(m)
        p = self.pop()
        try:
            full = [x.decode() for x in p.retr(1)[1]]
            header = full[:full.index("") + 1]
            _, lines, _ = p.top(1, 0)
            self.assertEqual(lines, [x.encode() for x in header])
            _, lines, _ = p.top(1, 3)
            self.assertEqual(lines, [x.encode() for x in header + ["b0", "b1", "b2"]])
            _, lines, _ = p.top(1, 100)
            self.assertEqual(lines, [x.encode() for x in full])
            with self.assertRaises(poplib.error_proto):
                p.top(2, 0)
            with self.assertRaises(poplib.error_proto):
                p._shortcmd("TOP 1 -1")
        finally:
            p.quit()

    def test_dele_rset(self):
        for i in range(3):
            self.deliver(make_message("d%d" % i, ["x"]))
        p = self.pop()
        try:
            count, size = p.stat()
            s1 = int(p.list(1).split()[2])
            self.assertTrue(p.dele(1).startswith(b"+OK"))
            self.assertEqual(p.stat(), (count - 1, size - s1))
            for cmd in ("RETR 1", "LIST 1", "UIDL 1", "TOP 1 0", "DELE 1"):
                with self.assertRaises(poplib.error_proto, msg=cmd):
                    p._shortcmd(cmd)
            self.assertNotIn(b"1 ", [x[:2] for x in p.list()[1]])
            self.assertTrue(p.rset().startswith(b"+OK"))
            self.assertEqual(p.stat(), (count, size))
            p.retr(1)
        finally:
            p.quit()
        # RSET undid it: nothing was removed.
        p = self.pop()
        try:
            self.assertEqual(p.stat()[0], 3)
        finally:
            p.quit()

    def test_dele_quit_removes(self):
        for i in range(3):
            self.deliver(make_message("q%d" % i, ["x"]))
        p = self.pop()
        uidls = [x.split()[1] for x in p.uidl()[1]]
        p.dele(2)
        self.assertTrue(p.quit().startswith(b"+OK"))
        p = self.pop()
        try:
            self.assertEqual(p.stat()[0], 2)
            self.assertEqual([x.split()[1] for x in p.uidl()[1]],
                             [uidls[0], uidls[2]])
        finally:
            p.quit()

    def test_no_quit_no_update(self):
        self.deliver(make_message("keep", ["x"]))
        r = Raw(self.port)
        r.login(ALICE, self.password(ALICE))
        self.assertTrue(r.cmd("DELE 1").startswith(b"+OK"))
        r.close()  # dropped without QUIT: RFC 1939 6, no UPDATE
        deadline = time.time() + 10
        while True:  # the lock is released when the server notices
            try:
                p = self.pop()
                break
            except poplib.error_proto as e:
                if b"IN-USE" not in e.args[0] or time.time() > deadline:
                    raise
                time.sleep(0.1)
        try:
            self.assertEqual(p.stat()[0], 1)
        finally:
            p.quit()

    def unseen(self, user):
        out = self.srv.cli("mailbox", "list", user).stdout
        for line in out.splitlines():
            cols = line.split()
            if cols and cols[0] == "INBOX":
                return int(cols[2])
        raise AssertionError("no INBOX in:\n" + out)

    def test_retr_marks_seen(self):
        for i in range(3):
            self.deliver(make_message("s%d" % i, ["x"]))
        self.assertEqual(self.unseen(ALICE), 3)
        p = self.pop()
        p.retr(1)
        p.top(2, 0)  # TOP is a peek: stays unseen
        p.quit()
        # \Seen is written after QUIT without holding up the reply.
        deadline = time.time() + 10
        while self.unseen(ALICE) != 2 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.unseen(ALICE), 2)

    def test_uidl_not_reused(self):
        self.deliver(make_message("a", ["x"]))
        self.deliver(make_message("b", ["x"]))
        p = self.pop()
        old = [x.split()[1] for x in p.uidl()[1]]
        p.dele(1)
        p.dele(2)
        p.quit()
        self.deliver(make_message("c", ["x"]))
        p = self.pop()
        try:
            new = [x.split()[1] for x in p.uidl()[1]]
        finally:
            p.quit()
        self.assertEqual(len(new), 1)
        self.assertNotIn(new[0], old)

    def test_wrong_password(self):
        p = poplib.POP3("127.0.0.1", self.port, timeout=15)
        try:
            p.user(ALICE)
            with self.assertRaises(poplib.error_proto) as cm:
                p.pass_("wrong")
            self.assertTrue(cm.exception.args[0].startswith(b"-ERR [AUTH]"),
                            cm.exception.args[0])
            # Unknown users get the same answer.
            p.user("nobody@example.test")
            with self.assertRaises(poplib.error_proto) as cm:
                p.pass_("x")
            self.assertTrue(cm.exception.args[0].startswith(b"-ERR [AUTH]"))
            # The session is still in AUTHORIZATION and can log in.
            p.user(ALICE)
            self.assertTrue(p.pass_(self.password(ALICE)).startswith(b"+OK"))
        finally:
            p.quit()
        log = self.srv.log()
        self.assertIn("proto=pop3 user=<alice@example.test>", log)
        self.assertIn("result=fail", log)
        self.assertIn("result=ok", log)

    def test_too_many_auth_failures(self):
        r = Raw(self.port)
        try:
            for _ in range(3):
                r.cmd("USER " + ALICE)
                self.assertTrue(r.cmd("PASS nope").startswith(b"-ERR [AUTH]"))
            self.assertTrue(r.closed())
        finally:
            r.close()

    def test_in_use(self):
        p1 = self.pop()
        try:
            p2 = poplib.POP3("127.0.0.1", self.port, timeout=15)
            p2.user(ALICE)
            with self.assertRaises(poplib.error_proto) as cm:
                p2.pass_(self.password(ALICE))
            self.assertTrue(cm.exception.args[0].startswith(b"-ERR [IN-USE]"),
                            cm.exception.args[0])
            # Another user is not affected.
            p3 = self.pop(BOB)
            p3.quit()
            p2.quit()
        finally:
            p1.quit()
        self.pop().quit()  # released at QUIT

    def test_state_rules(self):
        r = Raw(self.port)
        try:
            self.assertTrue(r.cmd("STAT").startswith(b"-ERR"))
            self.assertTrue(r.cmd("PASS x").startswith(b"-ERR"))  # no USER
            r.cmd("USER " + ALICE)
            r.cmd("NOOP")  # PASS must follow USER immediately
            self.assertTrue(r.cmd("PASS " + self.password(ALICE)).startswith(b"-ERR"))
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("USER " + ALICE).startswith(b"-ERR"))
            self.assertTrue(r.cmd("NOOP").startswith(b"+OK"))
            self.assertTrue(r.cmd("LIST 0").startswith(b"-ERR"))
            self.assertTrue(r.cmd("LIST 999").startswith(b"-ERR"))
            self.assertTrue(r.cmd("LIST abc").startswith(b"-ERR"))
            self.assertTrue(r.cmd("RETR").startswith(b"-ERR"))
            self.assertTrue(r.cmd("TOP 1").startswith(b"-ERR"))
            self.assertTrue(r.cmd("XYZZY").startswith(b"-ERR"))
            self.assertTrue(r.cmd("stat").startswith(b"+OK 0 0"))
            self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))
            self.assertTrue(r.closed())
        finally:
            r.close()

    def test_getmail_style_no_capa(self):
        """getmail: no CAPA; USER/PASS, UIDL, LIST twice, RETR, QUIT."""
        m = make_message("getmail", ["hello"])
        self.deliver(m)
        r = Raw(self.port)
        try:
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("UIDL").startswith(b"+OK"))
            self.assertEqual(len(r.multiline()), 1)
            for _ in range(2):
                self.assertTrue(r.cmd("LIST").startswith(b"+OK"))
                self.assertEqual(len(r.multiline()), 1)
            self.assertTrue(r.cmd("RETR 1").startswith(b"+OK"))
            self.assertEqual(r.multiline()[-len(m):], [x.encode() + b"\r\n" for x in m])
            self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))
        finally:
            r.close()

    def test_pipelining(self):
        m = make_message("pipe", ["p1", ".p2"])
        self.deliver(m)
        self.deliver(make_message("pipe2", ["x"]))
        r = Raw(self.port)
        try:
            pw = self.password(ALICE)
            r.send(("CAPA\r\nUSER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nUIDL\r\n"
                    "RETR 1\r\nTOP 2 0\r\nDELE 2\r\nNOOP\r\nRSET\r\nQUIT\r\n"
                    % (ALICE, pw)).encode())
            self.assertTrue(r.line().startswith(b"+OK"))   # CAPA
            r.multiline()
            self.assertTrue(r.line().startswith(b"+OK"))   # USER
            self.assertTrue(r.line().startswith(b"+OK"))   # PASS
            self.assertTrue(r.line().startswith(b"+OK 2 "))  # STAT
            self.assertTrue(r.line().startswith(b"+OK"))   # LIST
            self.assertEqual(len(r.multiline()), 2)
            self.assertTrue(r.line().startswith(b"+OK"))   # UIDL
            self.assertEqual(len(r.multiline()), 2)
            self.assertTrue(r.line().startswith(b"+OK"))   # RETR
            self.assertEqual(r.multiline()[-2:], [b"p1\r\n", b"..p2\r\n"])
            self.assertTrue(r.line().startswith(b"+OK"))   # TOP
            self.assertEqual(r.multiline()[-1], b"\r\n")
            self.assertTrue(r.line().startswith(b"+OK"))   # DELE
            self.assertTrue(r.line().startswith(b"+OK"))   # NOOP
            self.assertTrue(r.line().startswith(b"+OK"))   # RSET
            self.assertTrue(r.line().startswith(b"+OK"))   # QUIT
            self.assertTrue(r.closed())
        finally:
            r.close()

    def test_nul_never_sent(self):
        raw = "Subject: nul\n\nbefore\x00after\n\x00\n"
        res = self.srv.cli("deliver", ALICE, input=raw, check=False)
        if res.returncode != 0:
            # The CLI refuses NUL; try SMTP, which may accept and keep it.
            try:
                with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"),
                                  timeout=15) as s:
                    s.sendmail("carol@example.net", [ALICE],
                               raw.replace("\n", "\r\n").encode("latin-1"))
            except smtplib.SMTPException as e:
                self.skipTest("no way in for a NUL byte: %s / %s"
                              % (res.stderr.strip(), e))
        r = Raw(self.port)
        try:
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("RETR 1").startswith(b"+OK"))
            body = b"".join(r.multiline())
            self.assertNotIn(b"\x00", body)
            self.assertIn(b"before", body)
            self.assertIn(b"after", body)
            self.assertTrue(r.cmd("TOP 1 5").startswith(b"+OK"))
            self.assertNotIn(b"\x00", b"".join(r.multiline()))
            r.cmd("QUIT")
        finally:
            r.close()

    def test_no_trailing_newline(self):
        res = self.srv.cli("deliver", ALICE, input="Subject: t\n\nno newline",
                           check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        r = Raw(self.port)
        try:
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("RETR 1").startswith(b"+OK"))
            body = r.multiline()
            self.assertTrue(all(x.endswith(b"\r\n") for x in body))
            self.assertEqual(body[-1], b"no newline\r\n")
            r.cmd("QUIT")
        finally:
            r.close()

    def test_smtp_then_pop(self):
        m = make_message("via smtp", ["Hello over SMTP.", ".dot"])
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=15) as s:
            s.sendmail("carol@example.net", [ALICE], "\r\n".join(m) + "\r\n")
        p = self.pop()
        try:
            self.assertEqual(p.stat()[0], 1)
            lines = p.retr(1)[1]
            # The server prepends Return-Path/Received; the message follows.
            self.assertEqual(lines[-len(m):], [x.encode() for x in m])
        finally:
            p.quit()

    def test_big_message_backpressure(self):
        body = ["%06d " % i + "x" * 70 for i in range(100000)]  # ~8 MB
        body[100] = "." + body[100]
        m = make_message("big", body)
        self.deliver(m)
        self.deliver(make_message("small", ["s"]), to=BOB)
        # A small receive window: the server's output must back up.
        r = Raw(self.port, timeout=60, rcvbuf=65536)
        try:
            r.login(ALICE, self.password(ALICE))
            r.send(b"RETR 1\r\nNOOP\r\n")
            self.assertTrue(r.line().startswith(b"+OK"))
            # While alice reads nothing, bob is served at once.
            t0 = time.time()
            p = self.pop(BOB)
            self.assertEqual(p.retr(1)[1][-1], b"s")
            p.quit()
            self.assertLess(time.time() - t0, 10)
            got = r.multiline()
            self.assertGreaterEqual(len(got), len(m))
            self.assertEqual(got[-len(m):][5 + 100], b"." + m[5 + 100].encode() + b"\r\n")
            self.assertEqual(got[-1], m[-1].encode() + b"\r\n")
            self.assertTrue(r.line().startswith(b"+OK"))  # NOOP, in order
            r.cmd("QUIT")
        finally:
            r.close()

    def test_curl(self):
        m = make_message("curl", ["via curl", ".dot"])
        self.deliver(m)
        p = self.pop()
        stored = p.retr(1)[1]
        p.quit()
        url = "pop3://127.0.0.1:%d/" % self.port
        auth = "%s:%s" % (ALICE, self.password(ALICE))
        res = subprocess.run(["curl", "-s", "-S", url, "-u", auth],
                             capture_output=True, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split(), [b"1", b"%d" % sum(len(x) + 2 for x in stored)])
        res = subprocess.run(["curl", "-s", "-S", url + "1", "-u", auth],
                             capture_output=True, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout, b"".join(x + b"\r\n" for x in stored))

    def fetchmail(self, tmp, keep, out):
        rc = os.path.join(tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('set no bouncemail\n'
                    'poll 127.0.0.1 with proto POP3 port %d auth password uidl\n'
                    '  user "%s" there with password "%s" is "root" here\n'
                    "  options %s sslproto ''\n"
                    '  mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (self.port, ALICE, self.password(ALICE),
                       "keep" if keep else "nokeep", out))
        os.chmod(rc, 0o600)  # fetchmail refuses other modes
        env = dict(os.environ, FETCHMAILHOME=tmp, HOME=tmp)
        return subprocess.run(["fetchmail", "-f", rc, "--pidfile",
                               os.path.join(tmp, "fetchmail.pid"), "-v",
                               "--nodetach"],
                              capture_output=True, text=True, timeout=60,
                              env=env)

    def test_fetchmail(self):
        for i in range(2):
            self.deliver(make_message("fm%d" % i, ["fetchmail %d" % i]))
        tmp = tempfile.mkdtemp(prefix="posthorn-fetchmail-")
        try:
            out = os.path.join(tmp, "mbox")
            res = self.fetchmail(tmp, True, out)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            data = read_file(out)
            self.assertIn("fetchmail 0", data)
            self.assertIn("fetchmail 1", data)
            # keep + uidl: the second run finds nothing new (stable UIDLs).
            res = self.fetchmail(tmp, True, out)
            self.assertEqual(res.returncode, 1, res.stdout + res.stderr)  # 1 = no mail
            self.assertEqual(read_file(out), data)
            # nokeep: deletes what it fetched (only the new message: the
            # others are known by UIDL and not fetched again).
            self.deliver(make_message("fm2", ["fetchmail 2"]))
            res = self.fetchmail(tmp, False, out)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            self.assertIn("fetchmail 2", read_file(out))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        p = self.pop()
        try:
            self.assertEqual(p.stat()[0], 2)
            bodies = b"".join(b"".join(p.retr(i)[1]) for i in (1, 2))
            self.assertIn(b"fetchmail 0", bodies)
            self.assertNotIn(b"fetchmail 2", bodies)
        finally:
            p.quit()

    def test_bad_input(self):
        rnd = random.Random(1939)
        for _ in range(5):
            r = Raw(self.port)
            try:
                junk = bytes(rnd.randrange(256) for _ in range(2000))
                r.send(junk + b"\r\nQUIT\r\n")
                # -ERR for each junk line, then +OK for QUIT or a close
                # after too many errors.
                replies = []
                try:
                    while True:
                        replies.append(r.line())
                except EOFError:
                    pass
                self.assertTrue(replies)
                self.assertTrue(all(x.startswith(b"-ERR") for x in replies[:-1]),
                                replies)
                self.assertTrue(replies[-1].startswith((b"-ERR", b"+OK")))
            finally:
                r.close()
        # An overlong line gets -ERR and the session goes on.
        r = Raw(self.port)
        try:
            self.assertTrue(r.cmd("USER " + "a" * 300).startswith(b"-ERR"))
            self.assertTrue(r.cmd("NOOP" + " " * 5000).startswith(b"-ERR"))
            r.login(ALICE, self.password(ALICE))
            self.assertTrue(r.cmd("STAT").startswith(b"+OK"))
            r.cmd("QUIT")
        finally:
            r.close()
        # A half-sent command, then the client goes away.
        r = Raw(self.port)
        r.send(b"USER ali")
        r.close()
        # The daemon is fine.
        self.pop().quit()

    def test_too_many_errors(self):
        r = Raw(self.port)
        try:
            replies = []
            try:
                for _ in range(50):
                    replies.append(r.cmd("BOGUS"))
            except (EOFError, OSError):
                pass
            self.assertLess(len(replies), 50)
            self.assertTrue(all(x.startswith(b"-ERR") for x in replies))
        finally:
            r.close()

    def test_concurrent_sessions(self):
        for i in range(5):
            self.deliver(make_message("c%d" % i, ["x"]), to=BOB)
        errors = []

        def worker():
            try:
                for _ in range(5):
                    c = Raw(self.port)
                    c.cmd("CAPA")
                    c.multiline()
                    c.cmd("NOOP")
                    c.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        p = self.pop(BOB)
        try:
            self.assertEqual(p.stat()[0], 5)
            for i in range(1, 6):
                p.retr(i)
        finally:
            p.quit()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])


class TestPop3Restart(Pop3Case):

    def test_uidl_stable_across_restart(self):
        for i in range(3):
            self.deliver(make_message("r%d" % i, ["x"]))
        p = self.pop()
        before = p.uidl()[1]
        p.quit()
        p = self.pop()
        self.assertEqual(p.uidl()[1], before)  # across sessions
        p.quit()
        self.srv.restart()
        p = self.pop()
        try:
            self.assertEqual(p.uidl()[1], before)  # across a restart
            self.assertEqual(p.stat()[0], 3)
        finally:
            p.quit()


class TestPop3Policy(Pop3Case):
    """plaintext_auth = never, a short idle timeout, few allowed errors."""

    extra_config = {"plaintext_auth": "never", "pop3_timeout": "2",
                    "pop3_max_errors": "3"}

    def test_plaintext_refused(self):
        r = Raw(self.port)
        try:
            r.cmd("CAPA")
            self.assertNotIn(b"USER\r\n", r.multiline())
            self.assertTrue(r.cmd("USER " + ALICE).startswith(b"-ERR [AUTH]"))
            self.assertTrue(r.cmd("PASS x").startswith(b"-ERR"))
            r.cmd("QUIT")
        finally:
            r.close()
        self.assertNotIn("result=ok", self.srv.log())

    def test_idle_timeout(self):
        r = Raw(self.port)
        try:
            t0 = time.time()
            self.assertTrue(r.line().startswith(b"-ERR"))
            self.assertTrue(r.closed())
            self.assertGreater(time.time() - t0, 1)
        finally:
            r.close()

    def test_max_errors(self):
        r = Raw(self.port)
        try:
            self.assertTrue(r.cmd("A").startswith(b"-ERR"))
            self.assertTrue(r.cmd("B").startswith(b"-ERR"))
            self.assertTrue(r.cmd("C").startswith(b"-ERR"))
            self.assertTrue(r.closed())
        finally:
            r.close()


if __name__ == "__main__":
    unittest.main()
