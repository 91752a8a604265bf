#!/usr/bin/env python3
"""test_imap_clients.py: real IMAP clients against a real posthornd.

Messages are delivered over SMTP (smtplib), then synced with the clients
of shared/clients/CLIENTS.md: mbsync (isync) two-way sync (pull, flags
changed on both sides, push with APPEND, resync without loss or
duplicates, expunge), fetchmail over IMAP (keep and nokeep), curl imap://
(LIST, UID FETCH n BODY[], SEARCH, APPEND by upload), mutt in batch mode
under script(1) (copy to an mbox, flag, sync) and Python's imaplib.
Content is compared byte for byte with what the server stores (a raw
BODY.PEEK[] fetch), which itself ends with exactly what was sent.

Clients that are not installed are skipped (scripts/test.sh installs them).
"""
import email
import imaplib
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_imap_fetch import Raw  # noqa: E402

DOMAIN = "example.test"


def have(prog):
    return shutil.which(prog) is not None


def make_message(n, to, extra=""):
    return ("From: Carol Example <carol@example.net>\r\n"
            "To: <%s>\r\n"
            "Subject: client test %d\r\n"
            "Date: Sun, 22 Nov 2026 13:%02d:00 +0000\r\n"
            "Message-ID: <client%d.%d@example.net>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Hello, this is message %d.\r\n"
            ".a line with a leading dot\r\n"
            "%s"
            "Gr\u00fc\u00dfe\r\n" % (to, n, n % 60, n, os.getpid(), n, extra)).encode()


class ClientCase(unittest.TestCase):
    """One daemon per class; each test gets its own user and messages."""

    seq = 0

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(domain=DOMAIN)
        cls.srv.__enter__()
        cls.port = cls.srv.port("imap")

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        ClientCase.seq += 1
        self.user = "c%d@%s" % (ClientCase.seq, DOMAIN)
        self.password = "client-pw-%d" % ClientCase.seq
        self.srv.cli("user", "add", self.user, input=self.password + "\n")
        self.tmp = tempfile.mkdtemp(prefix="posthorn-imapclient-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def send(self, msgs):
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=15) as s:
            for m in msgs:
                s.sendmail("carol@example.net", [self.user], m)

    def raw(self, mailbox="INBOX"):
        c = Raw(self.port)
        c.login(self.user, self.password)
        c.cmd("EXAMINE " + mailbox)
        self.addCleanup(c.close)
        return c

    def stored(self, mailbox="INBOX"):
        """{uid: (flags, bytes)} as the server holds them."""
        c = self.raw(mailbox)
        res, _, _ = c.fetch("UID FETCH 1:* (UID FLAGS BODY.PEEK[])")
        return {int(v["UID"]): (sorted(v["FLAGS"]), bytes(v["BODY[]"]))
                for v in res.values()}


@unittest.skipUnless(have("mbsync"), "mbsync (isync) not installed")
class TestMbsync(ClientCase):

    def config(self):
        local = os.path.join(self.tmp, "mail")
        os.makedirs(local, exist_ok=True)
        cfg = os.path.join(self.tmp, "mbsyncrc")
        with open(cfg, "w") as f:
            f.write("IMAPAccount posthorn\n"
                    "Host 127.0.0.1\n"
                    "Port %d\n"
                    "User %s\n"
                    "Pass %s\n"
                    "SSLType None\n"
                    "AuthMechs LOGIN\n"
                    "\n"
                    "IMAPStore remote\n"
                    "Account posthorn\n"
                    "\n"
                    "MaildirStore local\n"
                    "Path %s/\n"
                    "Inbox %s/INBOX\n"
                    "SubFolders Verbatim\n"
                    "\n"
                    "Channel sync\n"
                    "Far :remote:\n"
                    "Near :local:\n"
                    "Patterns INBOX Archive\n"
                    "Create Both\n"
                    "Expunge Both\n"
                    "SyncState *\n"
                    % (self.port, self.user, self.password, local, local))
        return cfg, local

    def mbsync(self, cfg):
        r = subprocess.run(["mbsync", "-c", cfg, "-a"], capture_output=True,
                           text=True, timeout=120, cwd=self.tmp,
                           env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def local_files(self, local, box="INBOX"):
        """{path: bytes} of a Maildir folder, without mbsync's X-TUID header."""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(local, box, sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    out[os.path.join(d, name)] = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"",
                                                        f.read(), count=1)
        return out

    @staticmethod
    def maildir_flags(path):
        return path.rsplit(":2,", 1)[1] if ":2," in path else ""

    def test_two_way_sync(self):
        msgs = [make_message(i, self.user) for i in range(1, 6)]
        self.send(msgs)
        cfg, local = self.config()
        # 1. Pull: every message arrives byte for byte (mbsync writes LF).
        self.mbsync(cfg)
        server = self.stored()
        files = self.local_files(local)
        self.assertEqual(len(files), 5)
        want = sorted(b.replace(b"\r\n", b"\n") for _, b in server.values())
        self.assertEqual(sorted(files.values()), want)
        for m in msgs:
            self.assertTrue(any(b.endswith(m) for _, b in server.values()))
        # 2. Flags on both sides: \Seen locally on client test 1, \Flagged
        #    on the server for client test 2.
        path1 = [p for p, b in files.items() if b"client test 1\n" in b][0]
        base = path1.rsplit(":2,", 1)[0] if ":2," in path1 else path1
        cur = os.path.join(local, "INBOX", "cur", os.path.basename(base) + ":2,S")
        os.rename(path1, cur)
        uid2 = [u for u, (_, b) in server.items() if b"client test 2\r\n" in b][0]
        c = Raw(self.port)
        self.addCleanup(c.close)
        c.login(self.user, self.password)
        c.cmd("SELECT INBOX")
        c.cmd("UID STORE %d +FLAGS (\\Flagged)" % uid2)
        c.cmd("LOGOUT")
        # 3. Push: a new local message goes up with APPEND.
        new = os.path.join(local, "INBOX", "new", "1795373999.local.host")
        with open(new, "wb") as f:
            f.write(b"From: alice@example.test\nTo: bob@example.test\n"
                    b"Subject: written offline\n\nUploaded by mbsync.\n")
        self.mbsync(cfg)
        server = self.stored()
        self.assertEqual(len(server), 6)
        by_subject = {re.search(rb"Subject: ([^\r\n]*)", b).group(1): (f, b)
                      for f, b in server.values()}
        self.assertIn("\\Seen", by_subject[b"client test 1"][0])
        up = by_subject[b"written offline"][1]
        self.assertIn(b"\r\nUploaded by mbsync.\r\n", up)
        self.assertIn(b"X-TUID: ", up)          # mbsync's own tracking header
        files = self.local_files(local)
        self.assertEqual(len(files), 6)
        flagged = [p for p, b in files.items() if b"client test 2\n" in b]
        self.assertEqual(len(flagged), 1)
        self.assertIn("F", self.maildir_flags(flagged[0]))
        # 4. Resync: nothing lost, nothing duplicated.
        self.mbsync(cfg)
        self.assertEqual(len(self.stored()), 6)
        self.assertEqual(len(self.local_files(local)), 6)
        # 5. Delete locally (T flag) -> expunged on the server.
        files = self.local_files(local)
        victim = [p for p, b in files.items() if b"client test 3\n" in b][0]
        base = victim.rsplit(":2,", 1)[0] if ":2," in victim else victim
        os.rename(victim, os.path.join(local, "INBOX", "cur",
                                       os.path.basename(base) + ":2,ST"))
        self.mbsync(cfg)
        server = self.stored()
        self.assertEqual(len(server), 5)
        self.assertFalse(any(b"client test 3\r\n" in b for _, b in server.values()))
        self.assertEqual(len(self.local_files(local)), 5)
        # 6. Server side changes again: new mail and a delete.
        self.send([make_message(7, self.user)])
        self.mbsync(cfg)
        self.assertEqual(len(self.local_files(local)), 6)
        self.assertEqual(sorted(self.local_files(local).values()),
                         sorted(re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"",
                                       b.replace(b"\r\n", b"\n"), count=1)
                                for _, b in self.stored().values()))


@unittest.skipUnless(have("fetchmail"), "fetchmail not installed")
class TestFetchmail(ClientCase):

    def fetchmail(self, keep, out):
        rc = os.path.join(self.tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('set no bouncemail\n'
                    'poll 127.0.0.1 with proto IMAP port %d auth password\n'
                    '  user "%s" there with password "%s" is "root" here\n'
                    "  options %s sslproto ''\n"
                    '  mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (self.port, self.user, self.password,
                       "keep" if keep else "nokeep", out))
        os.chmod(rc, 0o600)
        env = dict(os.environ, FETCHMAILHOME=self.tmp, HOME=self.tmp)
        return subprocess.run(["fetchmail", "-f", rc, "--pidfile",
                               os.path.join(self.tmp, "fetchmail.pid"), "-v",
                               "--nodetach"],
                              capture_output=True, text=True, timeout=60, env=env)

    def test_fetchmail_imap(self):
        msgs = [make_message(i, self.user) for i in range(1, 4)]
        self.send(msgs)
        server = self.stored()
        out = os.path.join(self.tmp, "mbox")
        r = self.fetchmail(True, out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, "rb") as f:
            data = f.read()
        # Each stored message arrives whole (fetchmail delivers LF lines and
        # moves Return-Path above its own Received header).
        for _, body in server.values():
            body = re.sub(rb"^Return-Path: [^\r\n]*\r\n", b"", body)
            self.assertIn(body.replace(b"\r\n", b"\n"), data)
        # keep: the messages stay, marked \Seen; a second run finds nothing.
        server = self.stored()
        self.assertEqual(len(server), 3)
        self.assertTrue(all("\\Seen" in f for f, _ in server.values()))
        r = self.fetchmail(True, out)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)   # 1 = no mail
        # nokeep: a new message is fetched and deleted from the server.
        self.send([make_message(4, self.user)])
        r = self.fetchmail(False, out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, "rb") as f:
            self.assertIn(b"client test 4\n", f.read())
        server = self.stored()
        self.assertEqual(len(server), 3)
        self.assertFalse(any(b"client test 4" in b for _, b in server.values()))


@unittest.skipUnless(have("curl"), "curl not installed")
class TestCurl(ClientCase):

    def curl(self, *args, data=None):
        r = subprocess.run(["curl", "-s", "-S", "-u", "%s:%s" % (self.user, self.password)]
                           + list(args), input=data, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_curl_imap(self):
        self.send([make_message(i, self.user) for i in (1, 2)])
        url = "imap://127.0.0.1:%d/" % self.port
        # LIST
        out = self.curl(url)
        for box in (b"INBOX", b"Sent", b"Drafts", b"Trash", b"Junk", b"Archive"):
            self.assertIn(box, out)
        # UID FETCH 1 BODY[]: byte for byte, and it sets \Seen.
        server = self.stored()
        out = self.curl(url + "INBOX;UID=2")
        self.assertEqual(out, server[2][1])
        self.assertIn("\\Seen", self.stored()[2][0])
        self.assertNotIn("\\Seen", self.stored()[1][0])
        # A section: curl's ;SECTION= is BODY[...]
        out = self.curl(url + "INBOX;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)")
        self.assertEqual(out, b"Subject: client test 1\r\n\r\n")
        # SEARCH (the section fetch without PEEK set \Seen on 1 too)
        out = self.curl(url + "INBOX", "-X", "SEARCH SEEN")
        self.assertEqual(out.strip(), b"* SEARCH 1 2")
        out = self.curl(url + "INBOX", "-X", "SEARCH UNSEEN")
        self.assertEqual(out.strip(), b"* SEARCH")
        out = self.curl(url + "INBOX", "-X", "UID SEARCH SUBJECT \"test 2\"")
        self.assertEqual(out.strip(), b"* SEARCH 2")
        # APPEND by upload (a synchronizing literal), then fetch it back.
        up = (b"From: alice@example.test\r\nTo: bob@example.test\r\n"
              b"Subject: uploaded by curl\r\n\r\nHello.\r\n")
        path = os.path.join(self.tmp, "up.eml")
        with open(path, "wb") as f:
            f.write(up)
        self.curl("-T", path, url + "Drafts")
        drafts = self.stored("Drafts")
        self.assertEqual([b for _, b in drafts.values()], [up])
        out = self.curl(url + "Drafts;UID=1")
        self.assertEqual(out, up)


@unittest.skipUnless(have("mutt") and have("script"), "mutt not installed")
class TestMutt(ClientCase):

    def test_mutt_batch(self):
        msgs = [make_message(i, self.user) for i in range(1, 4)]
        self.send(msgs)
        rc = os.path.join(self.tmp, "muttrc")
        out = os.path.join(self.tmp, "out.mbox")
        with open(rc, "w") as f:
            f.write('set imap_user="%s"\nset imap_pass="%s"\n'
                    'set folder="imap://127.0.0.1:%d/"\nset spoolfile="+INBOX"\n'
                    'set ssl_starttls=no\nset ssl_force_tls=no\n'
                    'set confirmcreate=no\nset confirmappend=no\nset quit=yes\n'
                    'set move=no\nset mbox_type=mbox\nset header_cache=""\n'
                    'set mark_old=yes\n'
                    % (self.user, self.password, self.port))
        # mutt needs a terminal: script(1) gives it a pty. It copies every
        # message to a local mbox, flags them all, syncs and quits.
        cmd = ("mutt -n -F %s -f imap://127.0.0.1:%d/INBOX -e 'push \"<tag-pattern>~A<enter>"
               "<tag-prefix><copy-message>%s<enter><tag-prefix><set-flag>!"
               "<sync-mailbox><quit>\"'" % (rc, self.port, out))
        r = subprocess.run(["script", "-qfec", cmd, "/dev/null"], capture_output=True,
                           timeout=120, env=dict(os.environ, TERM="xterm", HOME=self.tmp))
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        with open(out, "rb") as f:
            mbox = f.read()
        server = self.stored()
        self.assertEqual(len(server), 3)
        for flags, body in server.values():
            # The body reaches the mbox unchanged (LF line ends, mbox quoting
            # of "From " lines does not apply to these messages).
            text = body.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n")
            self.assertIn(text, mbox)
            self.assertIn("\\Flagged", flags)
            # mutt keeps unread mail "old" with its own keyword (mutt.imap.txt).
            self.assertIn("Old", flags)
            self.assertNotIn("\\Seen", flags)


class TestImaplib(ClientCase):

    def test_imaplib_sync(self):
        msgs = [make_message(i, self.user, extra="x" * i * 1000 + "\r\n") for i in range(1, 9)]
        self.send(msgs)
        m = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            m.login(self.user, self.password)
            typ, data = m.select("INBOX")
            self.assertEqual(data, [b"8"])
            typ, data = m.uid("SEARCH", None, "ALL")
            uids = data[0].split()
            self.assertEqual(len(uids), 8)
            got = []
            for uid in uids:
                typ, data = m.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[])")
                self.assertEqual(typ, "OK")
                size = int(re.search(rb"RFC822.SIZE (\d+)", data[0][0]).group(1))
                self.assertEqual(size, len(data[0][1]))
                got.append(data[0][1])
            for sent, stored in zip(msgs, got):
                self.assertTrue(stored.endswith(sent))
                parsed = email.message_from_bytes(stored)
                self.assertEqual(parsed["Message-ID"],
                                 re.search(rb"Message-ID: (\S+)", sent).group(1).decode())
            # Mark, move, and look again.
            m.uid("STORE", uids[0], "+FLAGS", "(\\Seen)")
            typ, data = m.uid("COPY", uids[1], "Archive")
            self.assertEqual(typ, "OK")
            # imaplib files the [COPYUID v src dst] response code by name.
            typ, data = m.response("COPYUID")
            self.assertRegex(data[0], rb"^\d+ %s 1$" % uids[1])
            typ, data = m.uid("SEARCH", None, "SEEN")
            self.assertEqual(data, [uids[0]])
            m.select("Archive")
            typ, data = m.fetch("1", "(BODY.PEEK[])")
            self.assertEqual(data[0][1], got[1])
        finally:
            m.logout()


if __name__ == "__main__":
    unittest.main()
