#!/usr/bin/env python3
"""test_delivery_cache.py: the IMAP cache (ENVELOPE, BODYSTRUCTURE, part
offsets) is built once at SMTP delivery and stored with the message, so the
first FETCH finds it (issue 3: "computed once at delivery/APPEND").
Observed with LMDB's own mdb_stat on the store after the daemon stopped,
then through IMAP FETCH of ENVELOPE."""
import imaplib
import os
import re
import shutil
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

USER = "alice@example.test"


def cache_entries(data_dir):
    r = subprocess.run(["mdb_stat", "-s", "blob_cache", data_dir],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("mdb_stat failed: %s" % r.stderr)
    m = re.search(r"Entries: (\d+)", r.stdout)
    return int(m.group(1))


@unittest.skipIf(shutil.which("mdb_stat") is None, "mdb_stat (lmdb-utils) missing")
class DeliveryCache(unittest.TestCase):
    def test_cache_written_at_delivery(self):
        with harness.Server(listen=("smtp", "imap")) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port("smtp"), timeout=30) as s:
                for i in range(3):
                    s.sendmail("x@example.org", [USER],
                               "From: X <x@example.org>\r\nTo: %s\r\nSubject: cached %d\r\n"
                               "Content-Type: text/plain\r\n\r\nbody %d\r\n" % (USER, i, i))
            srv.stop()
            self.assertEqual(cache_entries(srv.data_dir), 3)
            srv.start()
            m = imaplib.IMAP4("127.0.0.1", srv.port("imap"), timeout=30)
            m.login(USER, srv.users[USER])
            m.select("INBOX")
            typ, data = m.fetch("1:3", "(ENVELOPE)")
            self.assertEqual(typ, "OK")
            text = b" ".join(d for d in data if isinstance(d, bytes))
            for i in range(3):
                self.assertIn(b'"cached %d"' % i, text)
            m.logout()


if __name__ == "__main__":
    unittest.main()
