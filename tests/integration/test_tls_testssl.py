#!/usr/bin/env python3
"""test_tls_testssl.py: testssl.sh (Debian package testssl.sh) against the
implicit-TLS ports POP3S, IMAPS and SMTPS (995/993/465): no SSLv2, SSLv3,
TLS 1.0 or TLS 1.1, TLS 1.2 and 1.3 offered, and no vulnerability it knows of.

A separate file from test_tls.py so that `make check -j2` runs this slow
scan beside the other tests. testssl.sh spends most of its time starting
(it probes the local openssl binary with a few hundred processes: about a
minute on a loaded 2-core machine), so the three scans run in parallel, with the protocol and
vulnerability checks only (`--protocols --vulnerable`). The cipher
categories (NULL, aNULL, EXPORT, LOW, 3DES, RC4, CBC-SHA1) are probed
faster by test_tls.py's TestTlsPolicy with openssl s_client.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
BAD_SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


@unittest.skipIf(TESTSSL is None, "testssl.sh is not installed (apt-get install testssl.sh)")
class TestTestssl(unittest.TestCase):

    def test_implicit_tls_ports_scan(self):
        """POP3S (995), IMAPS (993) and SMTPS submission (465), scanned at once:
        testssl.sh spends most of its time starting, so three parallel scans
        cost little more than one."""
        kinds = ("pop3s", "imaps", "submissions")
        srv = harness.Server(listen=kinds)
        cert = os.path.join(srv.tmp, "cert.pem")
        key = os.path.join(srv.tmp, "key.pem")
        srv.extra_config.update({"tls_cert": cert, "tls_key": key})
        srv.write_config()
        # RSA, so that ROBOT and the RSA key-exchange checks have something to test.
        srv.cli("cert", "selfsigned", "localhost", "--rsa")
        results = {}
        with srv:
            t0 = time.time()
            procs = {}
            for kind in kinds:
                out = os.path.join(srv.tmp, "testssl-%s.json" % kind)
                procs[kind] = (out, subprocess.Popen(
                    [TESTSSL, "--quiet", "--color", "0", "--warnings", "batch",
                     "--protocols", "--vulnerable", "--jsonfile", out,
                     "127.0.0.1:%d" % srv.port(kind)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    stdin=subprocess.DEVNULL))
            for kind, (out, proc) in procs.items():
                try:
                    output, _ = proc.communicate(timeout=900)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    output, _ = proc.communicate()
                self.assertTrue(os.path.exists(out), "%s: %s" % (kind, output))
                with open(out) as f:
                    results[kind] = {e["id"]: e for e in json.load(f)}
            elapsed = time.time() - t0
        print("testssl.sh took %.0f s for %s" % (elapsed, ", ".join(kinds)), file=sys.stderr)
        for kind, findings in results.items():
            with self.subTest(port=kind):
                self.check_findings(kind, findings)

    def check_findings(self, kind, findings):
        report = kind + ":\n" + "\n".join("%s %s %s" % (e["id"], e["severity"], e["finding"])
                                          for e in findings.values())
        # Protocols: exactly TLS 1.2 and 1.3.
        for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            self.assertIn(proto, findings, report)
            self.assertIn("not offered", findings[proto]["finding"], report)
        for proto in ("TLS1_2", "TLS1_3"):
            self.assertIn(proto, findings, report)
            self.assertTrue(findings[proto]["finding"].startswith("offered"), report)
        # The vulnerability checks ran and found nothing.
        for vuln in ("heartbleed", "CCS", "ROBOT", "secure_renego", "secure_client_renego",
                     "CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK",
                     "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4"):
            self.assertIn(vuln, findings, report)
        bad = [e for e in findings.values() if e["severity"] in BAD_SEVERITIES
               or "VULNERABLE" in e["finding"].upper() and "NOT VULNERABLE" not in
               e["finding"].upper()]
        self.assertEqual(bad, [], report)


if __name__ == "__main__":
    unittest.main()
