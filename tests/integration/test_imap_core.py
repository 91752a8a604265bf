#!/usr/bin/env python3
"""test_imap_core.py: the IMAP core (RFC 3501 / RFC 9051 and extensions)
against a real posthornd.

Python's imaplib drives the ordinary paths; a raw socket client (Raw) sees
the exact bytes where the wire format matters (greeting, continuation
requests, literals, pipelining, untagged updates). Command sequences follow
the transcripts in shared/clients/*.imap.txt: Thunderbird's
`list (subscribed) "" "*" return (special-use)`, `authenticate PLAIN`
waiting for "+ ", `ID` after login and `APPEND {n+}`; mutt's three
pipelined commands; offlineimap's `LIST "" ""`. FETCH, STORE, SEARCH and
COPY/MOVE are tested in test_imap_fetch*.py.
"""
import base64
import imaplib
import os
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

DOMAIN = "example.test"
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
PASSWORDS = {ALICE: "alice-secret-1", BOB: "bob-secret-2"}
LOGIN_OK = re.compile(rb"^\S+ OK \[CAPABILITY ([^\]]+)\]")
# argon2id under valgrind on a busy machine takes many seconds per login
TIMEOUT = 120 if os.environ.get("POSTHORN_VALGRIND") else 15
SETTLE = TIMEOUT / 3     # how long an asynchronous effect may take to show


def message(subject, body="Hello.\r\n"):
    return ("From: Carol <carol@example.net>\r\nTo: <%s>\r\nSubject: %s\r\n"
            "Message-ID: <%s@example.net>\r\n\r\n%s" %
            (ALICE, subject, subject.replace(" ", "."), body)).encode()


class Raw:
    """An IMAP connection on a plain socket: exact bytes, no client logic."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()
        self.n = 0

    def line(self):
        data = self.f.readline(1 << 20)
        if not data:
            raise EOFError("connection closed")
        return data.rstrip(b"\r\n")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def tag(self):
        self.n += 1
        return "t%d" % self.n

    def read_response(self, tag):
        """Lines up to and including the tagged one; literals inlined."""
        tag = tag.encode() if isinstance(tag, str) else tag
        lines = []
        while True:
            ln = self.line()
            m = re.search(rb"\{(\d+)\}$", ln)
            if m:
                ln += b"\r\n" + self.f.read(int(m.group(1)))
                ln += self.line()
            lines.append(ln)
            if ln.startswith(tag + b" "):
                return lines

    def cmd(self, text):
        """Send one command, return (untagged lines, tagged line)."""
        t = self.tag()
        self.send("%s %s\r\n" % (t, text))
        lines = self.read_response(t)
        return lines[:-1], lines[-1]

    def login(self, user=ALICE):
        _, tagged = self.cmd('LOGIN %s "%s"' % (user, PASSWORDS[user]))
        assert b" OK " in tagged, tagged
        return tagged

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class IMAPCase(unittest.TestCase):
    """One daemon for the class; each test uses the users it needs."""

    extra_config = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(users=dict(PASSWORDS),
                                 extra_config=cls.extra_config)
        cls.srv.__enter__()
        cls.port = cls.srv.port("imap")

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def raw(self, login=None):
        r = Raw(self.port)
        self.addCleanup(r.close)
        if login:
            r.login(login)
        return r

    def imap(self, user=ALICE):
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=TIMEOUT)
        m.login(user, PASSWORDS[user])
        self.addCleanup(self._logout, m)
        return m

    @staticmethod
    def _logout(m):
        try:
            m.logout()
        except Exception:
            pass

    def smtp_deliver(self, subject, rcpt=ALICE):
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=TIMEOUT) as s:
            s.sendmail("carol@example.net", [rcpt], message(subject))

    def fresh_user(self, name):
        addr = "%s@%s" % (name, DOMAIN)
        if addr not in PASSWORDS:
            PASSWORDS[addr] = name + "-pw-1"
            self.srv.cli("user", "add", addr, input=PASSWORDS[addr] + "\n")
        return addr


class TestGreetingAndLogin(IMAPCase):

    def test_greeting_has_capabilities(self):
        r = self.raw()
        m = re.match(rb"^\* OK \[CAPABILITY ([^\]]+)\] ", r.greeting)
        self.assertIsNotNone(m, r.greeting)
        caps = m.group(1).split()
        for c in (b"IMAP4rev1", b"IMAP4rev2", b"LITERAL+", b"SASL-IR", b"ID",
                  b"ENABLE", b"IDLE", b"AUTH=PLAIN", b"AUTH=LOGIN"):
            self.assertIn(c, caps)
        self.assertNotIn(b"UIDONLY", caps)
        self.assertNotIn(b"LOGINDISABLED", caps)   # loopback may log in
        untagged, tagged = r.cmd("CAPABILITY")
        self.assertEqual(untagged, [b"* CAPABILITY " + m.group(1)])
        self.assertIn(b" OK ", tagged)

    def test_login_forms(self):
        # imaplib: LOGIN user "password"
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=TIMEOUT)
        typ, data = m.login(ALICE, PASSWORDS[ALICE])
        self.assertEqual(typ, "OK")
        m.logout()
        # atoms (getmail), quoted (fetchmail), literals
        for line in ('LOGIN %s %s' % (ALICE, PASSWORDS[ALICE]),
                     'LOGIN "%s" "%s"' % (ALICE, PASSWORDS[ALICE])):
            r = self.raw()
            _, tagged = r.cmd(line)
            mo = LOGIN_OK.match(tagged)
            self.assertIsNotNone(mo, tagged)
            caps = mo.group(1).split()
            for c in (b"NAMESPACE", b"UIDPLUS", b"MOVE", b"IDLE", b"CONDSTORE",
                      b"QRESYNC", b"SPECIAL-USE", b"LIST-EXTENDED", b"LIST-STATUS",
                      b"UNSELECT", b"CHILDREN", b"ESEARCH", b"UTF8=ACCEPT"):
                self.assertIn(c, caps)
            self.assertTrue(any(c.startswith(b"APPENDLIMIT=") for c in caps))
        r = self.raw()
        t = r.tag()
        r.send("%s LOGIN {%d}\r\n" % (t, len(ALICE)))
        self.assertTrue(r.line().startswith(b"+ "))
        r.send("%s {%d+}\r\n%s\r\n" % (ALICE, len(PASSWORDS[ALICE]), PASSWORDS[ALICE]))
        self.assertIsNotNone(LOGIN_OK.match(r.read_response(t)[-1]))

    def test_login_failure(self):
        r = self.raw()
        start = time.time()
        _, tagged = r.cmd('LOGIN %s "wrong"' % ALICE)
        self.assertRegex(tagged, rb"^t1 NO \[AUTHENTICATIONFAILED\]")
        self.assertGreater(time.time() - start, 0.3)   # delayed
        _, tagged = r.cmd("SELECT INBOX")
        self.assertRegex(tagged, rb"^t2 BAD")
        self.assertIn("login: proto=imap user=<%s>" % ALICE, self.srv.log())
        self.assertIn("result=fail", self.srv.log())

    def test_authenticate_plain_with_and_without_sasl_ir(self):
        blob = base64.b64encode(("\0%s\0%s" % (ALICE, PASSWORDS[ALICE])).encode()).decode()
        # mbsync, mutt, curl: SASL-IR
        r = self.raw()
        _, tagged = r.cmd("AUTHENTICATE PLAIN " + blob)
        self.assertIsNotNone(LOGIN_OK.match(tagged), tagged)
        # Thunderbird: waits for "+ "
        r = self.raw()
        r.send("a1 authenticate PLAIN\r\n")
        self.assertEqual(r.line(), b"+ ")
        r.send(blob + "\r\n")
        self.assertIsNotNone(LOGIN_OK.match(r.read_response("a1")[-1]))
        # authzid equal to authcid (mutt)
        blob2 = base64.b64encode(("%s\0%s\0%s" % (ALICE, ALICE, PASSWORDS[ALICE])).encode()).decode()
        r = self.raw()
        _, tagged = r.cmd("AUTHENTICATE PLAIN " + blob2)
        self.assertIsNotNone(LOGIN_OK.match(tagged), tagged)
        # "*" cancels
        r = self.raw()
        r.send("c1 AUTHENTICATE PLAIN\r\n")
        self.assertTrue(r.line().startswith(b"+"))
        r.send("*\r\n")
        self.assertRegex(r.read_response("c1")[-1], rb"^c1 BAD")
        # imaplib's own authenticate
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=TIMEOUT)
        typ, _ = m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (ALICE, PASSWORDS[ALICE])).encode())
        self.assertEqual(typ, "OK")
        m.logout()

    def test_authenticate_login(self):
        r = self.raw()
        r.send("a1 AUTHENTICATE LOGIN\r\n")
        self.assertEqual(r.line(), b"+ VXNlcm5hbWU6")
        r.send(base64.b64encode(ALICE.encode()) + b"\r\n")
        self.assertEqual(r.line(), b"+ UGFzc3dvcmQ6")
        r.send(base64.b64encode(PASSWORDS[ALICE].encode()) + b"\r\n")
        self.assertIsNotNone(LOGIN_OK.match(r.read_response("a1")[-1]))
        # with the user name as initial response (the transcripts' curl)
        r = self.raw()
        r.send("a2 AUTHENTICATE LOGIN %s\r\n" % base64.b64encode(ALICE.encode()).decode())
        self.assertEqual(r.line(), b"+ UGFzc3dvcmQ6")
        r.send(base64.b64encode(PASSWORDS[ALICE].encode()) + b"\r\n")
        self.assertIsNotNone(LOGIN_OK.match(r.read_response("a2")[-1]))

    def test_id_before_and_after_login(self):
        r = self.raw()
        untagged, tagged = r.cmd('ID ("name" "OfflineIMAP" "version" "8.0.0")')
        self.assertEqual(len(untagged), 1)
        self.assertTrue(untagged[0].startswith(b'* ID ("name" "Posthorn"'))
        self.assertIn(b" OK ", tagged)
        untagged, tagged = r.cmd("ID NIL")
        self.assertIn(b" OK ", tagged)
        r.login()
        untagged, tagged = r.cmd('ID ("name" "Thunderbird" "version" "153.7.0")')
        self.assertTrue(untagged[0].startswith(b"* ID "))
        self.assertIn(b" OK ", tagged)
        _, tagged = r.cmd('ID ("name")')
        self.assertIn(b" BAD ", tagged)

    def test_enable_namespace_noop_logout(self):
        r = self.raw(ALICE)
        untagged, tagged = r.cmd("NAMESPACE")
        self.assertEqual(untagged, [b'* NAMESPACE (("" "/")) NIL NIL'])
        untagged, tagged = r.cmd("ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN")
        self.assertEqual(untagged, [b"* ENABLED CONDSTORE UTF8=ACCEPT"])
        untagged, tagged = r.cmd("ENABLE CONDSTORE")
        self.assertEqual(untagged, [b"* ENABLED"])
        _, tagged = r.cmd("NOOP")
        self.assertIn(b" OK ", tagged)
        untagged, tagged = r.cmd("LOGOUT")
        self.assertEqual(untagged, [b"* BYE Logging out."])
        self.assertIn(b" OK ", tagged)
        self.assertEqual(r.f.read(), b"")

    def test_commands_before_login_refused(self):
        r = self.raw()
        for c in ("SELECT INBOX", "LIST \"\" *", "CREATE x", "APPEND INBOX {1+}\r\nx"):
            _, tagged = r.cmd(c)
            self.assertIn(b" BAD ", tagged, c)
        _, tagged = r.cmd("NOOP")
        self.assertIn(b" OK ", tagged)

    def test_ten_connections_per_user(self):
        conns = [self.raw(ALICE) for _ in range(12)]
        for r in conns:
            _, tagged = r.cmd("SELECT INBOX")
            self.assertIn(b" OK ", tagged)


class TestLoginDisabled(IMAPCase):
    extra_config = {"plaintext_auth": "never"}

    def test_logindisabled(self):
        r = self.raw()
        self.assertIn(b"LOGINDISABLED", r.greeting)
        self.assertNotIn(b"AUTH=PLAIN", r.greeting)
        _, tagged = r.cmd('LOGIN %s "%s"' % (ALICE, PASSWORDS[ALICE]))
        self.assertRegex(tagged, rb"^t1 NO \[PRIVACYREQUIRED\]")
        _, tagged = r.cmd("AUTHENTICATE PLAIN =")
        self.assertRegex(tagged, rb"^t2 NO \[PRIVACYREQUIRED\]")


class TestMailboxes(IMAPCase):

    def list_lines(self, r, cmd):
        untagged, tagged = r.cmd(cmd)
        self.assertIn(b" OK ", tagged, cmd)
        return untagged

    def test_thunderbird_list(self):
        r = self.raw(ALICE)
        lines = self.list_lines(r, 'list (subscribed) "" "*" return (special-use)')
        want = {b"Drafts": b"\\Drafts", b"Sent": b"\\Sent", b"Trash": b"\\Trash",
                b"Junk": b"\\Junk", b"Archive": b"\\Archive"}
        seen = {}
        for ln in lines:
            m = re.match(rb'^\* LIST \(([^)]*)\) "/" "?([^"]*)"?$', ln)
            self.assertIsNotNone(m, ln)
            seen[m.group(2)] = m.group(1).split()
        for name, attr in want.items():
            self.assertIn(b"\\Subscribed", seen[name], name)
            self.assertIn(attr, seen[name], name)
        lines = self.list_lines(r, 'list "" "INBOX"')
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], rb'^\* LIST \(\\HasNoChildren\) "/" "?INBOX"?$')

    def test_list_delimiter_and_plain_special_use(self):
        r = self.raw(ALICE)
        self.assertEqual(self.list_lines(r, 'LIST "" ""'), [b'* LIST (\\Noselect) "/" ""'])
        lines = self.list_lines(r, 'LIST "" "*"')
        sent = [ln for ln in lines if ln.endswith(b'"Sent"') or ln.endswith(b" Sent")]
        self.assertEqual(len(sent), 1)
        self.assertIn(b"\\Sent", sent[0])   # Apple Mail needs it in plain LIST
        self.assertTrue(lines[0].endswith(b"INBOX") or lines[0].endswith(b'"INBOX"'))
        lines = self.list_lines(r, 'LIST "" inbox')
        self.assertEqual(len(lines), 1)
        lines = self.list_lines(r, 'LSUB "" "*"')
        names = {ln.split(b'"/" ')[1].strip(b'"') for ln in lines}
        self.assertTrue({b"INBOX", b"Sent", b"Drafts", b"Trash", b"Junk", b"Archive"} <= names)
        self.assertTrue(all(ln.startswith(b"* LSUB (") for ln in lines))

    def test_children_wildcards_and_list_status(self):
        user = self.fresh_user("lister")
        m = self.imap(user)
        self.assertEqual(m.create("p/q/r")[0], "OK")   # parents implied
        r = self.raw(user)
        lines = self.list_lines(r, 'LIST "" "%"')
        p = [ln for ln in lines if ln.endswith(b'"p"')]
        self.assertEqual(len(p), 1)
        self.assertIn(b"\\HasChildren", p[0])
        self.assertFalse(any(b'"p/q"' in ln for ln in lines))
        lines = self.list_lines(r, 'LIST "" "p/*"')
        self.assertEqual(len(lines), 2)
        lines = self.list_lines(r, 'LIST "p/" "%"')
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].endswith(b'"p/q"'))
        # a deleted parent stays as \Noselect while it has children
        self.assertEqual(m.delete("p/q")[0], "OK")
        lines = self.list_lines(r, 'LIST "" "p/%"')
        self.assertEqual(len(lines), 1)
        self.assertIn(b"\\Noselect", lines[0])
        self.assertIn(b"\\HasChildren", lines[0])
        lines = self.list_lines(r, 'LIST () "" "p/%"')
        self.assertIn(b"\\NonExistent", lines[0])
        # LIST-STATUS (RFC 5819)
        m.append("INBOX", None, None, message("status one"))
        lines = self.list_lines(r, 'LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))')
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[1], b'* STATUS "INBOX" (MESSAGES 1 UNSEEN 1)')
        # multiple patterns, SPECIAL-USE selection, RECURSIVEMATCH
        lines = self.list_lines(r, 'LIST "" ("Sent" "Trash")')
        self.assertEqual(len(lines), 2)
        lines = self.list_lines(r, 'LIST (SPECIAL-USE) "" "*"')
        self.assertEqual(len(lines), 5)
        self.assertEqual(m.subscribe("p/q/r")[0], "OK")
        lines = self.list_lines(r, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "p"')
        self.assertEqual(len(lines), 1)
        self.assertIn(b'("CHILDINFO" ("SUBSCRIBED"))', lines[0])
        _, tagged = r.cmd('LIST (RECURSIVEMATCH) "" "*"')
        self.assertIn(b" BAD ", tagged)
        lines = self.list_lines(r, 'LSUB "" "p/%"')
        self.assertEqual(len(lines), 1)
        self.assertIn(b"\\Noselect", lines[0])   # RFC 3501 6.3.9

    def test_create_delete_rename(self):
        user = self.fresh_user("renamer")
        m = self.imap(user)
        self.assertEqual(m.create("Projects/2024")[0], "OK")
        typ, data = m.create("Projects")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[ALREADYEXISTS]", data[0])
        self.assertEqual(m.create("Trailing/")[0], "OK")
        self.assertEqual(m.select("Trailing")[0], "OK")
        m.close()
        self.assertEqual(m.rename("Projects", "Work")[0], "OK")
        names = [ln.split(b'"/" ')[1].strip(b'"') for ln in m.list()[1]]
        self.assertIn(b"Work/2024", names)
        self.assertNotIn(b"Projects/2024", names)
        typ, data = m.rename("Nope", "Nope2")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        self.assertEqual(m.rename("Work", "Work/sub")[0], "NO")
        self.assertEqual(m.delete("INBOX")[0], "NO")
        typ, data = m.delete("Nope")
        self.assertIn(b"[NONEXISTENT]", data[0])
        # RENAME INBOX moves the messages and leaves INBOX empty
        m.append("INBOX", None, None, message("move me"))
        self.assertEqual(m.rename("INBOX", '"Old Mail"')[0], "OK")
        self.assertEqual(m.status("INBOX", "(MESSAGES)")[1][0], b'"INBOX" (MESSAGES 0)')
        self.assertEqual(m.status('"Old Mail"', "(MESSAGES)")[1][0], b'"Old Mail" (MESSAGES 1)')
        # modified UTF-7 names round-trip
        self.assertEqual(m.create("Entw&APw-rfe")[0], "OK")
        self.assertTrue(any(b"Entw&APw-rfe" in ln for ln in m.list()[1]))
        self.assertEqual(m.create("&AGE-")[0], "NO")   # not canonical
        self.assertEqual(m.delete("Entw&APw-rfe")[0], "OK")

    def test_utf8_accept_names(self):
        user = self.fresh_user("utf8user")
        r = self.raw(user)
        r.cmd("ENABLE UTF8=ACCEPT")
        _, tagged = r.cmd('CREATE "Entw\u00fcrfe"')
        self.assertIn(b" OK ", tagged)
        lines = self.list_lines(r, 'LIST "" "Entw*"')
        self.assertEqual(lines, ['* LIST (\\HasNoChildren) "/" "Entw\u00fcrfe"'.encode()])
        r2 = self.raw(user)
        lines = self.list_lines(r2, 'LIST "" "Entw*"')
        self.assertEqual(lines, [b'* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"'])
        # RFC 6855 4: APPEND ... UTF8 (literal8)
        msg = "Subject: Gr\u00fc\u00dfe\r\n\r\nhi\r\n".encode()
        r.send(b'u1 APPEND "Entw\xc3\xbcrfe" UTF8 (~{%d+}\r\n' % len(msg) + msg + b")\r\n")
        self.assertRegex(r.read_response("u1")[-1], rb"^u1 OK \[APPENDUID \d+ 1\]")

    def test_subscribe(self):
        user = self.fresh_user("subscriber")
        m = self.imap(user)
        m.create("Lists")
        self.assertEqual(m.subscribe("Lists")[0], "OK")
        self.assertTrue(any(b'"Lists"' in ln for ln in m.lsub()[1]))
        self.assertEqual(m.unsubscribe("Lists")[0], "OK")
        self.assertFalse(any(b'"Lists"' in ln for ln in m.lsub()[1]))

    def test_status(self):
        user = self.fresh_user("statuser")
        m = self.imap(user)
        m.append("Drafts", r"(\Seen)", None, message("a"))
        m.append("Drafts", None, None, message("b"))
        typ, data = m.status("Drafts", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ DELETED)")
        self.assertEqual(typ, "OK")
        d = re.match(rb'^"Drafts" \((.*)\)$', data[0]).group(1).split()
        st = dict(zip(d[::2], [int(x) for x in d[1::2]]))
        self.assertEqual(st[b"MESSAGES"], 2)
        self.assertEqual(st[b"UNSEEN"], 1)
        self.assertEqual(st[b"UIDNEXT"], 3)
        self.assertEqual(st[b"DELETED"], 0)
        self.assertEqual(st[b"SIZE"], len(message("a")) + len(message("b")))
        self.assertGreater(st[b"HIGHESTMODSEQ"], 0)
        typ, data = m.status("Nope", "(MESSAGES)")
        self.assertEqual(typ, "NO")
        with self.assertRaises(imaplib.IMAP4.error):   # BAD
            m.status("Drafts", "(BOGUS)")

    def test_other_users_unreachable(self):
        b = self.imap(BOB)
        b.create("Secret")
        r = self.raw(ALICE)
        for name in ("../bob@example.test/INBOX", "/INBOX", "bob@example.test/Secret",
                     "Secret", "..", "a/../../b", "*", "%"):
            _, tagged = r.cmd('SELECT "%s"' % name)
            self.assertIn(b" NO ", tagged, name)
            if name in ("Secret", "bob@example.test/Secret"):
                continue    # legal names, in her own tree if she makes them
            _, tagged = r.cmd('CREATE "%s"' % name)
            self.assertIn(b" NO ", tagged, name)
        for pattern in ("*", "../*", "/*", "%/%", "bob*"):
            lines = self.list_lines(r, 'LIST "" "%s"' % pattern)
            self.assertFalse(any(b"Secret" in ln or b"bob" in ln for ln in lines), pattern)
        lines = self.list_lines(r, 'LIST "../" "*"')
        self.assertEqual(lines, [])


class TestSelectAppend(IMAPCase):

    def test_select_and_examine_responses(self):
        user = self.fresh_user("selector")
        m = self.imap(user)
        m.append("INBOX", r"(\Seen)", None, message("one"))
        m.append("INBOX", None, None, message("two"))
        r = self.raw(user)
        untagged, tagged = r.cmd('SELECT "INBOX"')
        text = b"\n".join(untagged)
        self.assertIn(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", text)
        self.assertIn(b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]", text)
        self.assertIn(b"* 2 EXISTS", text)
        self.assertIn(b"* 2 RECENT", text)
        self.assertIn(b"* OK [UNSEEN 2]", text)
        self.assertRegex(text, rb"\* OK \[UIDVALIDITY \d+\]")
        self.assertIn(b"* OK [UIDNEXT 3]", text)
        self.assertRegex(text, rb"\* OK \[HIGHESTMODSEQ \d+\]")
        self.assertRegex(tagged, rb"^t\d+ OK \[READ-WRITE\]")
        untagged, tagged = r.cmd("EXAMINE INBOX")
        self.assertEqual(untagged[0], b"* OK [CLOSED] Previous mailbox closed.")
        self.assertIn(b"* 0 RECENT", untagged)      # claimed by the SELECT
        self.assertIn(b"* OK [PERMANENTFLAGS ()] Read-only mailbox.", untagged)
        self.assertRegex(tagged, rb"OK \[READ-ONLY\]")
        _, tagged = r.cmd("STORE 1 +FLAGS (\\Deleted)")
        self.assertRegex(tagged, rb"NO \[READ-ONLY\]")
        _, tagged = r.cmd("EXPUNGE")
        self.assertRegex(tagged, rb"NO \[READ-ONLY\]")
        _, tagged = r.cmd("SELECT Nope")
        self.assertRegex(tagged, rb"NO \[NONEXISTENT\]")
        _, tagged = r.cmd("FETCH 1 FLAGS")     # no mailbox selected now
        self.assertIn(b" BAD ", tagged)

    def test_select_condstore_qresync(self):
        user = self.fresh_user("qresync")
        m = self.imap(user)
        for i in range(3):
            m.append("INBOX", None, None, message("q%d" % i))
        r = self.raw(user)
        untagged, tagged = r.cmd("SELECT INBOX (CONDSTORE)")
        self.assertIn(b" OK ", tagged)
        uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", b" ".join(untagged)).group(1))
        modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(untagged)).group(1))
        m.select("INBOX")
        m.store("1", "+FLAGS", r"(\Deleted)")
        m.expunge()
        m.store("1", "+FLAGS", r"(\Flagged)")
        _, tagged = r.cmd("SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity, modseq))
        self.assertIn(b" BAD ", tagged)          # QRESYNC not enabled
        r.cmd("ENABLE QRESYNC")
        untagged, tagged = r.cmd("SELECT INBOX (QRESYNC (%d %d 1:3))" % (uidvalidity, modseq))
        self.assertIn(b" OK ", tagged)
        self.assertIn(b"* VANISHED (EARLIER) 1", untagged)
        fetch = [ln for ln in untagged if b"FETCH" in ln]
        self.assertEqual(len(fetch), 1)
        self.assertRegex(fetch[0], rb"^\* 1 FETCH \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$")

    def test_append_literals_and_appenduid(self):
        user = self.fresh_user("appender")
        r = self.raw(user)
        msg = message("plus")
        # Thunderbird/mbsync: LITERAL+, no continuation
        r.send('a1 append "Sent" (\\Seen) {%d+}\r\n' % len(msg) + msg.decode() + "\r\n")
        tagged = r.read_response("a1")[-1]
        m = re.match(rb"^a1 OK \[APPENDUID (\d+) 1\]", tagged)
        self.assertIsNotNone(m, tagged)
        # imaplib/mutt/curl: synchronizing literal, with a date-time
        r.send('a2 APPEND Sent () "22-Nov-2026 19:02:15 +0100" {%d}\r\n' % len(msg))
        self.assertTrue(r.line().startswith(b"+ "))
        r.send(msg + b"\r\n")
        self.assertRegex(r.read_response("a2")[-1], rb"^a2 OK \[APPENDUID %s 2\]" % m.group(1))
        untagged, _ = r.cmd("EXAMINE Sent")
        self.assertIn(b"* 2 EXISTS", untagged)
        untagged, _ = r.cmd("FETCH 1:2 (FLAGS INTERNALDATE RFC822.SIZE)")
        self.assertIn(b"\\Seen", untagged[0])
        self.assertIn(b'INTERNALDATE "22-Nov-2026 18:02:15 +0000"', untagged[1])
        self.assertIn(b"RFC822.SIZE %d" % len(msg), untagged[1])
        # [TRYCREATE]
        _, tagged = r.cmd('APPEND Nope {1+}\r\nx')
        self.assertRegex(tagged, rb"NO \[TRYCREATE\]")
        # keywords are kept
        _, tagged = r.cmd('APPEND Sent ($label1 $Forwarded) {%d+}\r\n%s' % (len(msg), msg.decode()))
        self.assertIn(b" OK ", tagged)
        untagged, _ = r.cmd("EXAMINE Sent")
        self.assertTrue(any(b"$label1" in ln and ln.startswith(b"* FLAGS") for ln in untagged))
        # imaplib
        im = self.imap(user)
        typ, data = im.append("Drafts", r"(\Draft)", None, message("draft"))
        self.assertEqual(typ, "OK")
        self.assertIn(b"[APPENDUID", data[0])

    def test_append_to_selected_gives_exists(self):
        user = self.fresh_user("selfappend")
        r = self.raw(user)
        r.cmd("SELECT INBOX")
        msg = message("self")
        untagged, tagged = r.cmd("APPEND INBOX {%d+}\r\n%s" % (len(msg), msg.decode()))
        self.assertIn(b"* 1 EXISTS", untagged)
        self.assertIn(b" OK ", tagged)

    def test_expunge_close_unselect(self):
        user = self.fresh_user("expunger")
        m = self.imap(user)
        for i in range(5):
            m.append("INBOX", None, None, message("e%d" % i))
        r = self.raw(user)
        r.cmd("SELECT INBOX")
        r.cmd("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
        untagged, tagged = r.cmd("EXPUNGE")
        self.assertEqual(untagged, [b"* 4 EXPUNGE", b"* 2 EXPUNGE"])
        r.cmd("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
        untagged, tagged = r.cmd("UID EXPUNGE 3")      # only UID 3 = MSN 2
        self.assertEqual(untagged, [b"* 2 EXPUNGE"])
        untagged, tagged = r.cmd("CLOSE")
        self.assertEqual(untagged, [])
        self.assertIn(b" OK ", tagged)
        self.assertEqual(m.status("INBOX", "(MESSAGES)")[1][0], b'"INBOX" (MESSAGES 0)')
        r.cmd("SELECT INBOX")
        untagged, tagged = r.cmd("UNSELECT")
        self.assertIn(b" OK ", tagged)
        _, tagged = r.cmd("CLOSE")
        self.assertIn(b" BAD ", tagged)


class TestLimits(IMAPCase):
    extra_config = {"max_message_size": "64K"}

    def test_append_limit(self):
        r = self.raw(ALICE)
        _, tagged = r.cmd("CAPABILITY")
        self.assertIn(b"APPENDLIMIT=65536", b" ".join(_))
        # synchronizing: refused before "+", the connection goes on
        r.send("a1 APPEND INBOX {70000}\r\n")
        self.assertRegex(r.read_response("a1")[-1], rb"^a1 NO \[TOOBIG\]")
        # non-synchronizing: the bytes are read and dropped
        r.send("a2 APPEND INBOX {70000+}\r\n" + "x" * 70000 + "\r\n")
        self.assertRegex(r.read_response("a2")[-1], rb"^a2 NO \[TOOBIG\]")
        _, tagged = r.cmd("NOOP")
        self.assertIn(b" OK ", tagged)
        _, tagged = r.cmd("APPEND INBOX {65536+}\r\n" + "y" * 65536)
        self.assertIn(b" OK ", tagged)

    def test_overlong_line_and_literal(self):
        r = self.raw(ALICE)
        r.send("a1 LIST " + "x" * 70000 + "\r\n")
        self.assertRegex(r.read_response("a1")[-1], rb"^a1 BAD")
        r.send("a2 LOGIN {100000}\r\n")
        self.assertRegex(r.read_response("a2")[-1], rb"^a2 BAD \[TOOBIG\]")
        _, tagged = r.cmd("NOOP")
        self.assertIn(b" OK ", tagged)

    def test_preauth_literal_limit(self):
        r = self.raw()
        r.send("a1 LOGIN {9000+}\r\n" + "z" * 9000 + "\r\n")
        lines = r.read_response("a1")
        self.assertRegex(lines[-1], rb"^a1 BAD \[TOOBIG\]")
        self.assertEqual(r.line(), b"* BYE Protocol error, closing.")

    def test_bad_syntax(self):
        r = self.raw(ALICE)
        for c, want in (("FOO", rb"BAD"), ("SELECT", rb"BAD"), ('LIST (', rb"BAD"),
                        ('LIST "" "*" RETURN', rb"BAD"), ("STATUS INBOX", rb"BAD"),
                        ('SELECT "INBOX', rb"BAD"), ("UID NOOP", rb"BAD"),
                        ("CAPABILITY x", rb"BAD")):
            _, tagged = r.cmd(c)
            self.assertRegex(tagged, rb"^t\d+ " + want, c)
        r.send("\r\n")
        self.assertTrue(r.line().startswith(b"* BAD"))
        _, tagged = r.cmd("NOOP")
        self.assertIn(b" OK ", tagged)

    def test_too_many_bad_commands(self):
        r = self.raw()
        r.send("".join("b%d FOO\r\n" % i for i in range(30)))
        lines = []
        try:
            while True:
                lines.append(r.line())
        except (EOFError, OSError):
            pass
        self.assertIn(b"* BYE Too many invalid commands.", lines)
        self.assertLess(len(lines), 25)


class TestSessions(IMAPCase):

    def test_pipelined_like_mutt(self):
        r = self.raw(ALICE)
        r.send('a0004 ENABLE UTF8=ACCEPT\r\na0005 LIST "" ""\r\na0006 LSUB "" "*"\r\n')
        l1 = r.read_response("a0004")
        l2 = r.read_response("a0005")
        l3 = r.read_response("a0006")
        self.assertEqual(l1[0], b"* ENABLED UTF8=ACCEPT")
        self.assertEqual(l2[0], b'* LIST (\\Noselect) "/" ""')
        self.assertTrue(all(ln.startswith(b"* LSUB") for ln in l3[:-1]))
        self.assertGreaterEqual(len(l3), 7)

    def test_idle_push_after_smtp_delivery(self):
        user = self.fresh_user("idler")
        r = self.raw(user)
        untagged, _ = r.cmd("SELECT INBOX")
        self.assertIn(b"* 0 EXISTS", untagged)
        r.send("i1 IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling")
        start = time.time()
        self.smtp_deliver("pushed", rcpt=user)
        r.sock.settimeout(SETTLE)
        got = r.line()
        elapsed = time.time() - start
        self.assertEqual(got, b"* 1 EXISTS")
        self.assertLess(elapsed, 1.0)
        r.send("DONE\r\n")
        lines = r.read_response("i1")
        self.assertRegex(lines[-1], rb"^i1 OK")
        # this session claims \Recent (a store write that follows the push)
        deadline = time.time() + SETTLE
        while time.time() < deadline:
            untagged, _ = r.cmd("FETCH 1 (FLAGS)")
            if b"\\Recent" in untagged[-1]:
                break
            time.sleep(0.05)
        self.assertIn(b"\\Recent", untagged[-1])

    def test_idle_flag_changes_and_expunge(self):
        user = self.fresh_user("idler2")
        m = self.imap(user)
        m.append("INBOX", None, None, message("f1"))
        m.append("INBOX", None, None, message("f2"))
        r = self.raw(user)
        r.cmd("SELECT INBOX")
        r.send("i1 IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling")
        m.select("INBOX")
        m.store("2", "+FLAGS", r"(\Flagged)")
        # the messages are \Recent for the session that selected first
        self.assertEqual(r.line(), b"* 2 FETCH (FLAGS (\\Flagged \\Recent))")
        m.store("1", "+FLAGS", r"(\Deleted)")
        self.assertEqual(r.line(), b"* 1 FETCH (FLAGS (\\Deleted \\Recent))")
        m.expunge()
        self.assertEqual(r.line(), b"* 1 EXPUNGE")
        r.send("done\r\n")
        self.assertRegex(r.read_response("i1")[-1], rb"^i1 OK")

    def test_two_sessions_and_rfc3501_7_4_1(self):
        user = self.fresh_user("twosess")
        m = self.imap(user)
        for i in range(3):
            m.append("INBOX", None, None, message("s%d" % i))
        a = self.raw(user)
        b = self.raw(user)
        a.cmd("SELECT INBOX")
        b.cmd("SELECT INBOX")
        b.cmd("STORE 1 +FLAGS (\\Flagged)")
        untagged, _ = a.cmd("NOOP")
        self.assertEqual(untagged, [b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"])
        b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
        b.cmd("EXPUNGE")
        msg = message("new one")
        b.cmd("APPEND INBOX {%d+}\r\n%s" % (len(msg), msg.decode()))
        # FETCH by MSN: new messages are told, expunges are not (RFC 3501 7.4.1)
        untagged, _ = a.cmd("FETCH 1 (FLAGS)")
        self.assertNotIn(b"EXPUNGE", b" ".join(untagged))
        self.assertIn(b"* 4 EXISTS", untagged)
        untagged, _ = a.cmd("SEARCH ALL")
        self.assertNotIn(b"EXPUNGE", b" ".join(untagged))
        # NOOP may renumber
        untagged, _ = a.cmd("NOOP")
        self.assertIn(b"* 2 EXPUNGE", untagged)
        untagged, _ = a.cmd("UID FETCH 1:* (FLAGS)")
        self.assertEqual(len([ln for ln in untagged if b" FETCH " in ln]), 3)

    def test_condstore_untagged_modseq(self):
        user = self.fresh_user("modseq")
        m = self.imap(user)
        m.append("INBOX", None, None, message("m1"))
        a = self.raw(user)
        a.cmd("ENABLE CONDSTORE")
        a.cmd("SELECT INBOX")
        m.select("INBOX")
        m.store("1", "+FLAGS", r"(\Answered)")
        untagged, _ = a.cmd("NOOP")
        self.assertRegex(untagged[0], rb"^\* 1 FETCH \(FLAGS \(\\Answered \\Recent\) MODSEQ \(\d+\)\)$")
        a.cmd("ENABLE QRESYNC")
        m.store("1", "+FLAGS", r"(\Deleted)")
        m.expunge()
        untagged, _ = a.cmd("NOOP")
        self.assertIn(b"* VANISHED 1", untagged)

    def test_recent_to_exactly_one_session(self):
        user = self.fresh_user("recent")
        self.smtp_deliver("r1", rcpt=user)
        a = self.raw(user)
        b = self.raw(user)
        ua, _ = a.cmd("SELECT INBOX")
        ub, _ = b.cmd("SELECT INBOX")
        self.assertIn(b"* 1 RECENT", ua)
        self.assertIn(b"* 0 RECENT", ub)
        fa, _ = a.cmd("FETCH 1 FLAGS")
        fb, _ = b.cmd("FETCH 1 FLAGS")
        self.assertIn(b"\\Recent", fa[0])
        self.assertNotIn(b"\\Recent", fb[0])
        # a new delivery while both are selected: still exactly one
        self.smtp_deliver("r2", rcpt=user)
        deadline = time.time() + SETTLE
        seen = []
        while time.time() < deadline:
            a.cmd("NOOP")
            b.cmd("NOOP")
            fa, _ = a.cmd("FETCH 2 FLAGS")
            fb, _ = b.cmd("FETCH 2 FLAGS")
            fa = [ln for ln in fa if b"2 FETCH" in ln]
            fb = [ln for ln in fb if b"2 FETCH" in ln]
            if fa and fb and (b"\\Recent" in fa[-1]) != (b"\\Recent" in fb[-1]):
                seen = [fa[-1], fb[-1]]
                break
            time.sleep(0.1)
        self.assertTrue(seen, "\\Recent never settled on exactly one session")

    def test_logout_while_idle_and_concurrency(self):
        user = self.fresh_user("many")
        errors = []

        def worker(i):
            try:
                m = imaplib.IMAP4("127.0.0.1", self.port, timeout=2 * TIMEOUT)
                m.login(user, PASSWORDS[user])
                m.select("INBOX")
                m.append("INBOX", None, None, message("c%d" % i))
                m.noop()
                m.logout()
            except Exception as e:   # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        m = self.imap(user)
        self.assertEqual(m.status("INBOX", "(MESSAGES)")[1][0], b'"INBOX" (MESSAGES 10)')
        r = self.raw(user)
        r.cmd("SELECT INBOX")
        r.send("i1 IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling")
        r.close()   # gone in the middle of IDLE: the daemon must not mind
        m.noop()


class TestIdleTimeout(IMAPCase):
    """IDLE keepalives come every two minutes, or twice per idle timeout."""
    extra_config = {"imap_timeout": "4"}

    def test_keepalive_then_autologout(self):
        r = self.raw(ALICE)
        r.cmd("SELECT INBOX")
        start = time.time()
        r.send("i1 IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling")
        self.assertEqual(r.line(), b"* OK Still here")
        self.assertGreater(time.time() - start, 1.5)
        lines = []
        try:
            while True:
                lines.append(r.line())
        except (EOFError, OSError):
            pass
        self.assertIn(b"* BYE Disconnected for inactivity.", lines)
        self.assertGreater(time.time() - start, 3.5)


class TestTLS(unittest.TestCase):
    """STARTTLS (RFC 3501 6.2.1) and implicit TLS (RFC 8314) with LOGINDISABLED."""

    @classmethod
    def setUpClass(cls):
        srv = harness.Server(users=dict(PASSWORDS),
                             listen=("smtp", "imap", "imaps"),
                             extra_config={"plaintext_auth": "never"})
        srv.cert = os.path.join(srv.tmp, "cert.pem")
        srv.key = os.path.join(srv.tmp, "key.pem")
        srv.extra_config.update({"tls_cert": srv.cert, "tls_key": srv.key})
        srv.write_config()
        srv.cli("cert", "selfsigned", "localhost")
        srv.__enter__()
        cls.srv = srv
        cls.ctx = ssl.create_default_context(cafile=srv.cert)

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def test_starttls_then_login(self):
        r = Raw(self.srv.port("imap"))
        self.assertIn(b"STARTTLS", r.greeting)
        self.assertIn(b"LOGINDISABLED", r.greeting)
        # a command pipelined behind STARTTLS is dropped (CVE-2011-0411)
        r.send("s1 STARTTLS\r\ns2 NOOP\r\n")
        self.assertRegex(r.line(), rb"^s1 OK")
        tls = self.ctx.wrap_socket(r.sock, server_hostname="localhost")
        f = tls.makefile("rb")
        tls.sendall(b"c1 CAPABILITY\r\n")
        caps = f.readline()
        self.assertTrue(caps.startswith(b"* CAPABILITY "), caps)
        self.assertIn(b"AUTH=PLAIN", caps)
        self.assertNotIn(b"STARTTLS", caps)
        self.assertNotIn(b"LOGINDISABLED", caps)
        self.assertRegex(f.readline(), rb"^c1 OK")
        tls.sendall(('l1 LOGIN %s "%s"\r\n' % (ALICE, PASSWORDS[ALICE])).encode())
        self.assertIsNotNone(LOGIN_OK.match(f.readline()))
        tls.close()

    def test_imaplib_starttls_and_imaps(self):
        m = imaplib.IMAP4("localhost", self.srv.port("imap"), timeout=TIMEOUT)
        m.starttls(ssl_context=self.ctx)
        self.assertEqual(m.login(ALICE, PASSWORDS[ALICE])[0], "OK")
        m.logout()
        ctx = ssl.create_default_context(cafile=self.srv.cert)
        m = imaplib.IMAP4_SSL("localhost", self.srv.port("imaps"), ssl_context=ctx,
                              timeout=TIMEOUT)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertEqual(m.login(ALICE, PASSWORDS[ALICE])[0], "OK")
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()


if __name__ == "__main__":
    unittest.main()
