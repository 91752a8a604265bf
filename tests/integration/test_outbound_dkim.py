#!/usr/bin/env python3
"""test_outbound_dkim.py: DKIM signing of mail leaving the server (RFC 6376,
RFC 8463), checked end to end by an independent verifier.

`posthorn dkim generate example.test` makes the keys and prints the TXT
records; they are published in a real nsd zone; mail submitted on 587 goes
out through the queue to an SMTP sink, and what the sink received is
verified with Debian's python3-dkim (run by the system Python, which has
it), each signature on its own (dkim.DKIM(msg).verify(idx=i)): once with
the TXT records from the zone handed over directly, once with real DNS
queries to nsd (dnspython). Messages: plain, 8-bit UTF-8 text with a long
folded Subject and trailing blank lines, many headers. A From: domain
without keys, and dkim_sign = no, go out unsigned.
"""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbound_env as E  # noqa: E402
from outbound_env import ALICE, DOMAIN  # noqa: E402

MX1 = "127.0.0.2"
SELECTOR = "s1"
OTHER = "other.test"       # a local domain without keys
CAROL = "carol@" + OTHER

# argv: message file, records JSON file ({name: txt}), nsd port ("" = no DNS).
# Prints one line per DKIM-Signature: "a=ALG s=SEL d=DOM zone=ok|fail dns=ok|fail|-".
VERIFIER = r'''
import json, sys, dkim
from dkim.util import parse_tag_value
records = json.load(open(sys.argv[2]))
port = sys.argv[3]
def zone_dns(name, timeout=5):
    return records.get(name.decode().rstrip(".").lower(), "").encode() or None
def real_dns(name, timeout=5):
    import dns.resolver
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = int(port)
    r.lifetime = timeout
    try:
        ans = r.resolve(name.decode(), "TXT")
    except Exception:
        return None
    for rr in ans:
        return b"".join(rr.strings)
msg = open(sys.argv[1], "rb").read()
d = dkim.DKIM(msg)
sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
for i, value in enumerate(sigs):
    tags = parse_tag_value(value)
    res = []
    for f in (zone_dns, real_dns if port else None):
        if f is None:
            res.append("-")
            continue
        try:
            ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=f)
        except dkim.ValidationError as e:
            ok = False
        res.append("ok" if ok else "fail")
    print("a=%s s=%s d=%s zone=%s dns=%s c=%s h=%s" % (
        tags[b"a"].decode(), tags[b"s"].decode(), tags[b"d"].decode(),
        res[0], res[1], tags.get(b"c", b"simple/simple").decode(),
        "".join(tags[b"h"].decode().split())))
'''


def find_dkim_python():
    for py in ("/usr/bin/python3", sys.executable):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import dkim, nacl, dns.resolver"],
                capture_output=True).returncode == 0:
            return py
    return None


DKIM_PYTHON = find_dkim_python()


def txt_records(text):
    """{name without final dot: value} of the TXT lines `posthorn` prints."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(\S+?)\.? +(?:IN +)?TXT +(".*")\s*$', line)
        if m:
            out[m.group(1).lower()] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return out


@unittest.skipUnless(E.have_nsd(), "nsd is not installed")
@unittest.skipIf(DKIM_PYTHON is None, "python3-dkim (with nacl, dnspython) not installed")
class DkimSigningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = E.sink_port([MX1])
        cls.zone = E.Zone()
        cls.zone.mx("remote.test", 10, "mx1.remote.test").a("mx1.remote.test", MX1)
        cls.nsd = E.Nsd(cls.zone).start()
        users = {ALICE: E.PASSWORDS[ALICE], CAROL: "carol-secret-3"}
        cls.srv = E.sending_server(cls.nsd, cls.port, users=users)
        try:
            cls.srv.cli("domain", "add", DOMAIN)
            cls.srv.cli("domain", "add", OTHER)
            for addr, pw in users.items():
                cls.srv.cli("user", "add", addr, input=pw + "\n")
            out = cls.srv.cli("dkim", "generate", DOMAIN, SELECTOR).stdout
            cls.records = txt_records(out)
            assert len(cls.records) == 2, out
            for name, value in cls.records.items():
                cls.zone.txt(name, value)
            cls.nsd.reload()
            cls.sink = E.Sink(MX1, cls.port)
            cls.srv.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "sink", None):
            cls.sink.close()
        cls.srv.__exit__(None, None, None)
        cls.nsd.__exit__(None, None, None)

    def deliver(self, sender, message, rcpt="dk@remote.test"):
        """Submit message; the bytes the sink received for it."""
        tok = re.search(rb"Message-ID: <([^@>]+)@", message).group(1)
        n = len(self.sink.messages)
        self.assertEqual(E.submit(self.srv, sender, [rcpt], message), {})
        try:
            E.wait_for(lambda: any(tok in tx.data for tx in self.sink.messages[n:]),
                       30, what="the message at the sink")
        except AssertionError as e:
            raise AssertionError(str(e) + "\n" + self.srv.log()[-3000:]) from None
        [tx] = [tx for tx in self.sink.messages if tok in tx.data]
        return tx.data

    def verify(self, data, real_dns=True):
        path = os.path.join(self.srv.tmp, "received-%s.eml" % os.urandom(4).hex())
        rec = os.path.join(self.srv.tmp, "records.json")
        with open(path, "wb") as f:
            f.write(data)
        with open(rec, "w") as f:
            json.dump(self.records, f)
        r = subprocess.run([DKIM_PYTHON, "-c", VERIFIER, path, rec,
                            str(self.nsd.port) if real_dns else ""],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [dict(kv.split("=", 1) for kv in line.split()) for line in r.stdout.splitlines()]

    def own_verify(self, data):
        """`posthorn dkim verify` (our verifier, our key files): (rc, lines)."""
        r = subprocess.run([E.harness.POSTHORN, "-c", self.srv.conf, "dkim", "verify"],
                           input=data, capture_output=True, timeout=60)
        return r.returncode, r.stdout.decode().splitlines()

    def assert_signed(self, data):
        rc, lines = self.own_verify(data)
        self.assertEqual(rc, 0, lines)
        self.assertEqual(sorted(lines), sorted(
            "signature %d: d=%s s=%s-%s: pass" % (i + 1, DOMAIN, SELECTOR, alg)
            for i, alg in enumerate(self.sig_algs(data))), lines)
        res = self.verify(data)
        self.assertEqual(sorted(r["a"] for r in res), ["ed25519-sha256", "rsa-sha256"],
                         data[:2000])
        for r in res:
            self.assertEqual(r["d"], DOMAIN)
            self.assertEqual(r["s"], "%s-%s" % (SELECTOR, r["a"].split("-")[0]))
            self.assertEqual(r["c"], "relaxed/relaxed")
            self.assertIn("from", r["h"].lower().split(":"))
            self.assertEqual((r["zone"], r["dns"]), ("ok", "ok"),
                             "%s does not verify:\n%s" % (r["a"], data.decode("utf-8", "replace")))
        return res

    @staticmethod
    def sig_algs(data):
        """"rsa"/"ed25519" of each DKIM-Signature of data, top down."""
        head = data.split(b"\r\n\r\n")[0].decode("utf-8", "replace")
        fields = re.findall(r"(?im)^DKIM-Signature:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", head)
        return [re.search(r"a=(rsa|ed25519)-sha256", "".join(f.split())).group(1)
                for f in fields]

    def test_plain_message_signed_both_algorithms(self):
        tok = os.urandom(5).hex()
        msg = E.make_message(ALICE, ["dk@remote.test"], token=tok)
        data = self.deliver(ALICE, msg)
        self.assertTrue(data.startswith(b"DKIM-Signature: ") or
                        b"\r\nDKIM-Signature: " in data.split(b"\r\n\r\n")[0], data[:500])
        self.assert_signed(data)
        # The signed message is still the submitted one underneath.
        self.assertTrue(data.endswith(msg))

    def test_8bit_long_subject_trailing_blank_lines(self):
        tok = os.urandom(5).hex()
        subject = ("Gr\u00fc\u00dfe " + "lange Betreffzeile mit vielen W\u00f6rtern " * 6).strip()
        folded = subject[:60] + "\r\n " + subject[60:140] + "\r\n\t" + subject[140:]
        msg = ("From: Alice <%s>\r\n"
               "To: <dk@remote.test>\r\n"
               "Subject: %s %s\r\n"
               "Date: Sun, 22 Nov 2026 21:00:00 +0000\r\n"
               "Message-ID: <%s@example.test>\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n"
               "\r\n"
               "Gr\u00fc\u00dfe aus K\u00f6ln  \t\r\n"
               "\u20ac 10, \u00e6\u00f8\u00e5\r\n"
               ".a line with a leading dot\r\n"
               "\r\n\r\n\r\n" % (ALICE, tok, folded, tok)).encode("utf-8")
        data = self.deliver(ALICE, msg)
        self.assertTrue(data.endswith(msg))
        self.assert_signed(data)

    def test_many_headers_and_long_lines(self):
        tok = os.urandom(5).hex()
        msg = E.make_message(ALICE, ["dk@remote.test"], token=tok, extra_headers=(
            "Cc: a@remote.test,\r\n\tb@remote.test,\r\n  c@remote.test",
            "References: <%s@example.test>\r\n <%s@example.test>" % ("a" * 60, "b" * 60),
            "X-Long: " + "x" * 900,
            "Reply-To: <alice@example.test>"),
            body="line\r\n" * 200 + "\r\n\r\n")
        data = self.deliver(ALICE, msg)
        self.assert_signed(data)

    def test_tampering_detected(self):
        msg = E.make_message(ALICE, ["dk@remote.test"], body="Pay 10 EUR.\r\n")
        data = self.deliver(ALICE, msg)
        bad = data.replace(b"Pay 10 EUR.", b"Pay 99 EUR.")
        res = self.verify(bad, real_dns=False)
        self.assertEqual([r["zone"] for r in res], ["fail", "fail"])
        rc, lines = self.own_verify(bad)
        self.assertEqual(rc, 1)
        self.assertEqual(len(lines), 2, lines)
        for line in lines:
            self.assertIn(": fail", line)

    def test_domain_without_keys_unsigned(self):
        msg = E.make_message(CAROL, ["dk@remote.test"])
        data = self.deliver(CAROL, msg)
        self.assertNotIn(b"dkim-signature", data.split(b"\r\n\r\n")[0].lower())
        self.assertTrue(data.endswith(msg))


@unittest.skipUnless(E.have_nsd(), "nsd is not installed")
class DkimSignOffTest(unittest.TestCase):
    def test_dkim_sign_no(self):
        port = E.sink_port([MX1])
        zone = E.Zone().mx("remote.test", 10, "mx1.remote.test").a("mx1.remote.test", MX1)
        with E.Nsd(zone) as nsd:
            sink = E.Sink(MX1, port)
            self.addCleanup(sink.close)
            srv = E.sending_server(nsd, port, dkim_sign="no")
            srv.provision()
            srv.cli("dkim", "generate", DOMAIN, SELECTOR)
            srv.start()
            try:
                msg = E.make_message(ALICE, ["off@remote.test"])
                self.assertEqual(E.submit(srv, ALICE, ["off@remote.test"], msg), {})
                [tx] = sink.wait_messages(1, 30)
                self.assertNotIn(b"dkim-signature", tx.data.split(b"\r\n\r\n")[0].lower())
            finally:
                srv.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
