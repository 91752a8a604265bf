#!/usr/bin/env python3
"""test_dkim_cli.py: `posthorn dkim generate`, `posthorn dns` and the
hidden `posthorn dkim sign`, run as real processes on a real data_dir.

The signatures are checked by an independent verifier: Debian's python3-dkim
(dkim.DKIM(...).verify(dnsfunc=...)), run with the system Python and fed the
TXT records `posthorn dns` prints instead of real DNS, for rsa-sha256 and
ed25519-sha256, over messages with 8-bit text, long folded headers and
trailing blank lines.
"""
import os
import re
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = "example.test"
SELECTOR = "ph" + time.strftime("%Y%m", time.gmtime())

# Run by a Python that has python3-dkim (Debian's, not a virtualenv's):
# argv[1] the message file, argv[2] the `posthorn dns` output; prints one
# line per signature: "a=ALG s=SELECTOR ok|fail".
VERIFIER = r'''
import re, sys, dkim
from dkim.util import parse_tag_value
records = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(\S+)\. TXT (.*)$', line.strip())
    if m:
        records[m.group(1).lower()] = "".join(
            re.findall(r'"([^"]*)"', m.group(2))).encode()
def dnsfunc(name, timeout=5):
    return records.get(name.decode().rstrip(".").lower())
msg = open(sys.argv[1], "rb").read()
d = dkim.DKIM(msg)
sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
for i, value in enumerate(sigs):
    tags = parse_tag_value(value)
    try:
        ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
    except dkim.ValidationError:
        ok = False  # e.g. "body hash mismatch"
    print("a=%s s=%s %s" % (tags[b"a"].decode(), tags[b"s"].decode(),
                            "ok" if ok else "fail"))
'''


def find_dkim_python():
    """A python3 that can import dkim and nacl (ed25519), or None."""
    for py in ("/usr/bin/python3", sys.executable):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import dkim, nacl"],
                capture_output=True).returncode == 0:
            return py
    return None


DKIM_PYTHON = find_dkim_python()

MESSAGES = {
    "plain": (b"From: Alice <alice@example.test>\r\n"
              b"To: bob@example.net\r\n"
              b"Subject: hello\r\n"
              b"Date: Sun, 22 Nov 2026 21:00:00 +0000\r\n"
              b"Message-ID: <1@example.test>\r\n"
              b"\r\n"
              b"Hello Bob.\r\n"),
    "8bit": ("From: J\u00f6rg <joerg@example.test>\n"
             "To: bob@example.net\n"
             "Subject: Gr\u00fc\u00dfe\n"
             "MIME-Version: 1.0\n"
             "Content-Type: text/plain; charset=utf-8\n"
             "Content-Transfer-Encoding: 8bit\n"
             "\n"
             "Gr\u00fc\u00dfe aus K\u00f6ln  \t\n"
             "\u20ac 10\n\n\n\n").encode("utf-8"),
    "long headers": (b"From: alice@example.test\r\n"
                     b"To: one@example.net, two@example.net, three@example.net,\r\n"
                     b"\tfour@example.net, five@example.net, six@example.net,\r\n"
                     b"  seven@example.net\r\n"
                     b"Cc: a@example.net\r\n"
                     b"Cc: b@example.net\r\n"
                     b"References: <" + b"a" * 60 + b"@example.test>\r\n"
                     b" <" + b"b" * 60 + b"@example.test>\r\n"
                     b"In-Reply-To: <" + b"b" * 60 + b"@example.test>\r\n"
                     b"Subject: " + b"word " * 40 + b"\r\n"
                     b"X-Unsigned: " + b"x" * 900 + b"\r\n"
                     b"\r\n"
                     b"line\r\n" * 100 + b"\r\n\r\n\r\n"),
}


class DkimCliCase(unittest.TestCase):
    extra_config = None

    def setUp(self):
        self.srv = harness.Server(domain=D, extra_config=self.extra_config)
        self.srv.provision()

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def fails(self, *args, contains=None):
        r = self.srv.cli(*args, check=False)
        self.assertEqual(r.returncode, 1, "posthorn %s: %r" % (args, r))
        err = r.stderr.strip()
        self.assertTrue(err.startswith("posthorn: "), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        if contains:
            self.assertIn(contains, err)
        return r

    def txt_records(self, text):
        """{name: value} of the TXT lines of a zone listing."""
        out = {}
        for line in text.splitlines():
            m = re.match(r'^(\S+) TXT (".*")$', line)
            if m:
                out[m.group(1)] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
                for part in re.findall(r'"([^"]*)"', m.group(2)):
                    self.assertLessEqual(len(part), 255, line)
        return out

    def sign(self, message, *args):
        r = subprocess.run([harness.POSTHORN, "-c", self.srv.conf, "dkim",
                            "sign", D] + list(args), input=message,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def verify(self, message):
        """[(a, s, ok)] from python3-dkim for each signature of message."""
        dns = self.srv.cli("dns", D).stdout
        msg_path = os.path.join(self.srv.tmp, "signed.eml")
        dns_path = os.path.join(self.srv.tmp, "dns.txt")
        with open(msg_path, "wb") as f:
            f.write(message)
        with open(dns_path, "w") as f:
            f.write(dns)
        r = subprocess.run([DKIM_PYTHON, "-c", VERIFIER, msg_path, dns_path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [tuple(line.split()) for line in r.stdout.splitlines()]


class GenerateTest(DkimCliCase):
    def test_generate_default_selector(self):
        r = self.srv.cli("dkim", "generate", D)
        txt = self.txt_records(r.stdout)
        rsa = "%s-rsa._domainkey.%s." % (SELECTOR, D)
        ed = "%s-ed25519._domainkey.%s." % (SELECTOR, D)
        self.assertEqual(sorted(txt), sorted([rsa, ed]), r.stdout)
        self.assertTrue(txt[rsa].startswith("v=DKIM1; k=rsa; p=MIIBIjAN"))
        # RSA 2048: a 294-byte SubjectPublicKeyInfo, 392 base64 characters.
        self.assertEqual(len(txt[rsa].split("p=")[1]), 392)
        self.assertRegex(txt[ed], r"^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$")
        for alg in ("rsa", "ed25519"):
            path = os.path.join(self.srv.data_dir, "dkim",
                                "%s.%s.%s.key" % (D, SELECTOR, alg))
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, path)
            with open(path) as f:
                self.assertIn("-----BEGIN PRIVATE KEY-----", f.read())
        st = os.stat(os.path.join(self.srv.data_dir, "dkim"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)

    def test_refuses_to_overwrite(self):
        self.srv.cli("dkim", "generate", D, "s1")
        path = os.path.join(self.srv.data_dir, "dkim", D + ".s1.rsa.key")
        with open(path, "rb") as f:
            before = f.read()
        self.fails("dkim", "generate", D, "s1", contains="exists")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)
        # Another selector is fine; both show up in `dns`.
        self.srv.cli("dkim", "generate", D, "s2")
        txt = self.txt_records(self.srv.cli("dns", D).stdout)
        for sel in ("s1-rsa", "s1-ed25519", "s2-rsa", "s2-ed25519"):
            self.assertIn("%s._domainkey.%s." % (sel, D), txt)

    def test_bad_arguments(self):
        self.fails("dkim", "generate", "bad..domain")
        self.fails("dkim", "generate", D, "bad.selector", contains="selector")
        self.fails("dkim", "generate", D, "-x", contains="selector")
        self.fails("dkim", "generate", D, "x" * 65, contains="selector")
        self.fails("dkim", "frobnicate", D, contains="usage")
        self.fails("dkim", contains="usage")
        self.fails("dns", contains="usage")
        self.fails("dns", "bad..domain")
        self.fails("dkim", "sign", D, contains="no DKIM key")

    def test_domain_is_case_insensitive(self):
        r = self.srv.cli("dkim", "generate", "EXAMPLE.Test", "s1")
        self.assertIn("s1-rsa._domainkey.example.test.", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(
            self.srv.data_dir, "dkim", "example.test.s1.ed25519.key")))


class DnsTest(DkimCliCase):
    def test_records(self):
        out = self.srv.cli("dns", D).stdout
        host = "mail." + D
        lines = out.splitlines()
        self.assertIn("%s. MX 10 %s." % (D, host), lines)
        self.assertIn("%s. A PUBLIC-IPV4-ADDRESS  ; set public_ip in the config"
                      % host, lines)
        self.assertIn('%s. TXT "v=spf1 mx -all"' % D, lines)
        self.assertIn("run `posthorn dkim generate %s`" % D, out)
        self.assertIn('_dmarc.%s. TXT "v=DMARC1; p=quarantine; '
                      'rua=mailto:postmaster@%s"' % (D, D), lines)
        # The harness listens on smtp, pop3 and imap only.
        self.assertIn("_imap._tcp.%s. SRV 0 1 %d %s." %
                      (D, self.srv.port("imap"), host), lines)
        self.assertIn("_pop3._tcp.%s. SRV 0 1 %d %s." %
                      (D, self.srv.port("pop3"), host), lines)
        for svc in ("_submission", "_submissions", "_imaps", "_pop3s"):
            self.assertIn("%s._tcp.%s. SRV 0 0 0 ." % (svc, D), lines)
        self.assertIn("PTR", out)
        # Every non-comment line is a zone file record.
        for line in lines:
            if line and not line.startswith(";"):
                self.assertRegex(line, r"^\S+\. (MX|A|AAAA|TXT|SRV) ")

    def test_dkim_records_match_generate(self):
        gen = self.txt_records(self.srv.cli("dkim", "generate", D).stdout)
        dns = self.txt_records(self.srv.cli("dns", D).stdout)
        for name, value in gen.items():
            self.assertEqual(dns[name], value)
        self.assertNotIn("dkim generate", self.srv.cli("dns", D).stdout)

    def test_bad_public_ip(self):
        self.srv.write_config(public_ip="mail.example.test")
        self.fails("dns", D, contains="public_ip")


class DnsPublicIpTest(DkimCliCase):
    extra_config = {"public_ip": "203.0.113.10, 2001:db8::10",
                    "listen_submissions": "127.0.0.1:%d" % harness.free_port()}

    def test_addresses_and_submissions(self):
        lines = self.srv.cli("dns", D).stdout.splitlines()
        host = "mail." + D
        self.assertIn("%s. A 203.0.113.10" % host, lines)
        self.assertIn("%s. AAAA 2001:db8::10" % host, lines)
        port = int(self.extra_config["listen_submissions"].split(":")[1])
        self.assertIn("_submissions._tcp.%s. SRV 0 1 %d %s." % (D, port, host),
                      lines)


@unittest.skipIf(DKIM_PYTHON is None, "python3-dkim (and python3-nacl) not installed")
class IndependentVerifyTest(DkimCliCase):
    def setUp(self):
        super().setUp()
        self.srv.cli("dkim", "generate", D, "t1")

    def test_both_algorithms_verify(self):
        for name, message in MESSAGES.items():
            with self.subTest(message=name):
                signed = self.sign(message)
                self.assertTrue(signed.startswith(b"DKIM-Signature: v=1; "))
                for line in signed.split(b"\r\n"):
                    self.assertNotIn(b"\n", line)
                self.assertEqual(self.verify(signed), [
                    ("a=rsa-sha256", "s=t1-rsa", "ok"),
                    ("a=ed25519-sha256", "s=t1-ed25519", "ok"),
                ])

    def test_tampering_detected(self):
        signed = self.sign(MESSAGES["plain"])
        for old, new in ((b"Hello Bob.", b"Hello Eve."),
                         (b"Subject: hello", b"Subject: hellO"),
                         (b"To: bob@example.net\r\n",
                          b"To: bob@example.net\r\nFrom: eve@evil.test\r\n")):
            with self.subTest(change=new):
                res = self.verify(signed.replace(old, new, 1))
                self.assertEqual([r[2] for r in res], ["fail", "fail"])

    def test_relaxed_changes_still_verify(self):
        signed = self.sign(MESSAGES["plain"])
        changed = signed.replace(b"Subject: hello", b"Subject:   hello  ")
        changed = changed.replace(b"Hello Bob.\r\n", b"Hello   Bob.\r\n\r\n\r\n")
        self.assertEqual([r[2] for r in self.verify(changed)], ["ok", "ok"])

    def test_selector_argument(self):
        self.srv.cli("dkim", "generate", D, "t2")
        signed = self.sign(MESSAGES["plain"], "t2")
        self.assertEqual(self.verify(signed), [
            ("a=rsa-sha256", "s=t2-rsa", "ok"),
            ("a=ed25519-sha256", "s=t2-ed25519", "ok"),
        ])

    def test_unsignable(self):
        r = subprocess.run([harness.POSTHORN, "-c", self.srv.conf, "dkim",
                            "sign", D], input=b"Subject: no from\r\n\r\nx\r\n",
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"From", r.stderr)
        self.assertEqual(r.stdout, b"")



class OwnVerifyTest(DkimCliCase):
    """`posthorn dkim verify` checks signatures against our own key files."""

    def setUp(self):
        super().setUp()
        self.srv.cli("dkim", "generate", D, "t1")

    def own_verify(self, message):
        return subprocess.run([harness.POSTHORN, "-c", self.srv.conf, "dkim",
                               "verify"], input=message, capture_output=True,
                              timeout=60)

    def test_signed_messages_pass(self):
        for name, message in MESSAGES.items():
            with self.subTest(message=name):
                r = self.own_verify(self.sign(message))
                self.assertEqual(r.returncode, 0, r)
                self.assertEqual(r.stdout.decode().splitlines(), [
                    "signature 1: d=%s s=t1-rsa: pass" % D,
                    "signature 2: d=%s s=t1-ed25519: pass" % D,
                ])

    def test_tampering_fails(self):
        signed = self.sign(MESSAGES["plain"]).replace(b"Hello Bob.", b"Hello Eve.")
        r = self.own_verify(signed)
        self.assertEqual(r.returncode, 1)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, r)
        for line in lines:
            self.assertIn(": fail: body hash mismatch", line)

    def test_unknown_selector_and_unsigned(self):
        signed = self.sign(MESSAGES["plain"]).replace(b"s=t1-rsa", b"s=zz-rsa")
        r = self.own_verify(signed)
        self.assertEqual(r.returncode, 1)
        self.assertIn("s=zz-rsa: fail:", r.stdout.decode())
        self.assertIn("s=t1-ed25519: pass", r.stdout.decode())
        r = self.own_verify(MESSAGES["plain"])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"no DKIM-Signature", r.stderr)

if __name__ == "__main__":
    unittest.main()
