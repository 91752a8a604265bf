#!/usr/bin/env python3
"""test_imap_searchres.py: SEARCHRES (RFC 5182), which IMAP4rev2 requires:
SEARCH RETURN (SAVE) keeps the result, "$" names it in later commands."""
import imaplib
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

USER = "alice@example.test"


class SearchRes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(listen=("smtp", "imap"))
        cls.srv.__enter__()
        subjects = ["apple one", "banana", "apple two", "cherry", "apple three"]
        with smtplib.SMTP("127.0.0.1", cls.srv.port("smtp"), timeout=30) as s:
            for subj in subjects:
                s.sendmail("x@example.org", [USER],
                           "From: x@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\nbody\r\n"
                           % (USER, subj))

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def connect(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.port("imap"), timeout=30)
        m.login(USER, self.srv.users[USER])
        self.addCleanup(m.logout)
        return m

    def test_capability(self):
        m = self.connect()
        typ, data = m.capability()
        self.assertIn(b"SEARCHRES", data[0].split())

    def test_save_then_dollar(self):
        m = self.connect()
        m.select("INBOX")
        typ, data = m._simple_command("UID", "SEARCH", "RETURN", "(SAVE)", "SUBJECT", "apple")
        self.assertEqual(typ, "OK")
        # SAVE alone: no ESEARCH response (RFC 5182 2.1).
        self.assertEqual(m.untagged_responses.pop("ESEARCH", None), None)
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(typ, "OK")
        msns = sorted(int(d.split()[0]) for d in data if d)
        self.assertEqual(msns, [1, 3, 5])
        typ, data = m.search(None, "$", "SUBJECT", "two")
        self.assertEqual((typ, data[0].split()), ("OK", [b"3"]))
        typ, _ = m.store("$", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        typ, data = m.search(None, "FLAGGED")
        self.assertEqual(data[0].split(), [b"1", b"3", b"5"])
        m.store("1:*", "-FLAGS", "(\\Flagged)")

    def test_save_min_max_only(self):
        m = self.connect()
        m.select("INBOX")
        typ, data = m._simple_command("SEARCH", "RETURN", "(SAVE MIN MAX)", "SUBJECT", "apple")
        self.assertEqual(typ, "OK")
        esearch = m.untagged_responses.pop("ESEARCH", [b""])[0].decode()
        self.assertRegex(esearch, r"MIN 1 MAX 5")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(sorted(int(d.split()[0]) for d in data if d), [1, 5])

    def test_forgotten_on_reselect(self):
        m = self.connect()
        m.select("INBOX")
        m._simple_command("SEARCH", "RETURN", "(SAVE)", "ALL")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(len([d for d in data if d]), 5)
        m.select("INBOX")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertEqual([d for d in data if d], [])


if __name__ == "__main__":
    unittest.main()
