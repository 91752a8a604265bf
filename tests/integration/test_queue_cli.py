#!/usr/bin/env python3
"""test_queue_cli.py: `posthorn queue list|show|retry|delete` on a real queue.

A real posthornd queues mail for foreign domains (submission on 587, and an
alias on 25 forwarding a null-sender message); its relayhost is a closed
port on 127.0.0.1, so every attempt fails temporarily (connection refused)
and the entries stay queued with that reason. The schedule is one hour, so
the only attempts after the first are the ones `queue retry` asks for.
Checked: the blocks `list` prints (decimal ids, sender or <>, domain,
attempts, next attempt, recipients with state and reply), `show` with the
message header, `retry` of one entry and of all (the daemon tries again at
once: attempts grow), `delete` (gone, no bounce), and exit status 1 with a
one-line message for unknown ids and bad usage.
"""
import os
import re
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = "example.test"
ALICE = "alice@" + D
PASSWORD = "alice-secret-1"


def parse_blocks(text):
    """`queue list`/`show` output as a list of dicts (recipients as tuples)."""
    blocks = []
    cur = None
    for line in text.splitlines():
        if not line.strip() or line == "queue is empty":
            cur = None
            continue
        if line.startswith("  reply: "):
            addr, state, _ = cur["recipients"][-1]
            cur["recipients"][-1] = (addr, state, line[len("  reply: "):])
            continue
        if line.startswith("  "):
            cur.setdefault("header_lines", []).append(line[2:])
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, value = line.rstrip(":"), ""
        if key == "id":
            cur = {"recipients": []}
            blocks.append(cur)
        if key == "recipient":
            m = re.fullmatch(r"<(.*)> (\w+)", value)
            assert m, line
            cur["recipients"].append((m.group(1), m.group(2), ""))
        else:
            cur[key] = value
    return blocks


def closed_port():
    """A loopback port nobody listens on (connections are refused)."""
    return harness.free_port()


class QueueCliCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(
            domain=D, users={ALICE: PASSWORD},
            listen=("smtp", "submission"),
            extra_config={
                "relayhost": "127.0.0.1:%d" % closed_port(),
                "relayhost_tls": "none",
                "outbound_connect_timeout": "2",
                "queue_retry_schedule": "1h",
                "queue_lifetime": "5d",
            })
        cls.srv.provision()
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        # Every test starts from an empty queue.
        for e in self.entries():
            self.srv.cli("queue", "delete", e["id"])
        self.assertEqual(self.srv.cli("queue", "list").stdout, "queue is empty\n")

    # ---- helpers ----------------------------------------------------------
    def entries(self):
        return parse_blocks(self.srv.cli("queue", "list").stdout)

    def submit(self, rcpts, subject):
        msg = ("From: Alice <%s>\r\nTo: %s\r\nSubject: %s\r\n"
               "Message-ID: <%s@example.test>\r\n\r\nqueued body\r\n"
               % (ALICE, ", ".join(rcpts), subject, subject)).encode()
        s = smtplib.SMTP("127.0.0.1", self.srv.port("submission"), timeout=30)
        try:
            s.login(ALICE, PASSWORD)
            self.assertEqual(s.sendmail(ALICE, rcpts, msg), {})
            s.quit()
        finally:
            s.close()
        return msg

    def wait_attempts(self, n, count, timeout=20):
        """Wait until there are n entries, each tried at least count times."""
        deadline = time.time() + timeout
        while True:
            es = self.entries()
            if len(es) == n and all(int(e["attempts"]) >= count for e in es):
                return es
            if time.time() > deadline:
                self.fail("expected %d entries with %d attempts, have %r\n%s"
                          % (n, count, es, self.srv.log()[-3000:]))
            time.sleep(0.2)

    def assert_user_error(self, *args, message=None):
        r = self.srv.cli("queue", *args, check=False)
        self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("posthorn: "), r.stderr)
        if message:
            self.assertIn(message, lines[0])

    # ---- tests ------------------------------------------------------------
    def test_list_and_show(self):
        msg = self.submit(["x@remote.test", "y@remote.test", "z@other.test"],
                          "list-and-show")
        es = self.wait_attempts(2, 1)
        by_domain = {e["domain"]: e for e in es}
        self.assertEqual(sorted(by_domain), ["other.test", "remote.test"])
        ids = [e["id"] for e in es]
        for e in es:
            self.assertRegex(e["id"], r"^[1-9][0-9]*$")
            self.assertEqual(e["sender"], "<%s>" % ALICE)
            self.assertGreaterEqual(int(e["size"]), len(msg))
            self.assertRegex(e["arrival"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} ")
            self.assertEqual(e["attempts"], "1")
            self.assertNotEqual(e["last attempt"], "never")
            # schedule 1h: the next attempt is about an hour away
            self.assertRegex(e["next attempt"], r"\(in (59m|1h 0m)")
        self.assertEqual(ids, sorted(ids, key=int))
        remote = by_domain["remote.test"]
        self.assertEqual([(a, s) for a, s, _ in remote["recipients"]],
                         [("x@remote.test", "pending"), ("y@remote.test", "pending")])
        for _, _, reply in remote["recipients"] + by_domain["other.test"]["recipients"]:
            self.assertNotEqual(reply, "")   # the reason of the failed attempt

        r = self.srv.cli("queue", "show", remote["id"])
        shown = parse_blocks(r.stdout)
        self.assertEqual(len(shown), 1)
        self.assertEqual(shown[0]["recipients"], remote["recipients"])
        self.assertEqual(shown[0]["domain"], "remote.test")
        self.assertIn("\nheader:\n", r.stdout)
        hdr = shown[0]["header_lines"]
        self.assertIn("Subject: list-and-show", hdr)
        self.assertIn("From: Alice <%s>" % ALICE, hdr)
        self.assertNotIn("queued body", r.stdout)   # only the header

    def test_retry_one_and_all(self):
        self.submit(["a@remote.test"], "retry-1")
        self.submit(["b@other.test"], "retry-2")
        es = self.wait_attempts(2, 1)
        first, second = es
        r = self.srv.cli("queue", "retry", first["id"])
        self.assertEqual(r.stdout, "1 entry scheduled for delivery now\n")
        # the daemon notices within its poll interval and tries again
        deadline = time.time() + 20
        while True:
            cur = {e["id"]: e for e in self.entries()}
            if cur[first["id"]]["attempts"] == "2":
                break
            self.assertLess(time.time(), deadline, cur)
            time.sleep(0.2)
        self.assertEqual(cur[second["id"]]["attempts"], "1")
        self.assertRegex(cur[first["id"]]["next attempt"], r"\(in (59m|1h 0m)")

        r = self.srv.cli("queue", "retry")
        self.assertEqual(r.stdout, "2 entries scheduled for delivery now\n")
        deadline = time.time() + 20
        while True:
            cur = {e["id"]: e for e in self.entries()}
            if (cur[first["id"]]["attempts"], cur[second["id"]]["attempts"]) == ("3", "2"):
                break
            self.assertLess(time.time(), deadline, cur)
            time.sleep(0.2)

    def test_delete(self):
        self.submit(["d@remote.test"], "delete-1")
        self.submit(["e@other.test"], "delete-2")
        es = self.wait_attempts(2, 1)
        r = self.srv.cli("queue", "delete", es[0]["id"])
        self.assertIn("deleted queue entry %s" % es[0]["id"], r.stdout)
        left = self.entries()
        self.assertEqual([e["id"] for e in left], [es[1]["id"]])
        self.assert_user_error("show", es[0]["id"], message="no such queue entry")
        self.assert_user_error("delete", es[0]["id"], message="no such queue entry")
        self.assert_user_error("retry", es[0]["id"], message="no such queue entry")
        self.srv.cli("queue", "delete", es[1]["id"])
        self.assertEqual(self.srv.cli("queue", "list").stdout, "queue is empty\n")
        # deleting sends no bounce: alice's INBOX stays empty
        mb = self.srv.cli("mailbox", "list", ALICE).stdout
        inbox = [l.split() for l in mb.splitlines() if l.startswith("INBOX ")]
        self.assertEqual(inbox[0][1], "0", mb)

    def test_null_sender_via_alias(self):
        self.srv.cli("alias", "add", "fwd@" + D, "far@remote.test")
        try:
            s = smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30)
            try:
                s.sendmail("", ["fwd@" + D],
                           b"From: MAILER-DAEMON@remote.test\r\nSubject: a bounce\r\n"
                           b"\r\nreturned\r\n")
                s.quit()
            finally:
                s.close()
            es = self.wait_attempts(1, 1)
            self.assertEqual(es[0]["sender"], "<>")
            self.assertEqual(es[0]["recipients"][0][:2], ("far@remote.test", "pending"))
        finally:
            self.srv.cli("alias", "del", "fwd@" + D)

    def test_empty_and_usage(self):
        self.assertEqual(self.srv.cli("queue", "list").stdout, "queue is empty\n")
        r = self.srv.cli("queue", "retry")
        self.assertEqual(r.stdout, "0 entries scheduled for delivery now\n")
        self.assert_user_error("show", "4242", message="no such queue entry: 4242")
        self.assert_user_error("delete", "4242", message="no such queue entry: 4242")
        self.assert_user_error("retry", "4242", message="no such queue entry: 4242")
        for bad in ("0", "abc", "-1", "12x", "", "18446744073709551616"):
            self.assert_user_error("show", bad, message="bad queue id")
            self.assert_user_error("delete", bad, message="bad queue id")
        self.assert_user_error(message="usage")
        self.assert_user_error("list", "extra", message="usage")
        self.assert_user_error("show", message="usage")
        self.assert_user_error("delete", message="usage")
        self.assert_user_error("retry", "1", "2", message="usage")
        self.assert_user_error("flush", message="usage")


if __name__ == "__main__":
    unittest.main()
