#!/usr/bin/env python3
"""test_daemon.py: posthornd as a process: config errors, signals, IPv6,
privilege drop, connection limits. Everything observed from outside:
exit status, stderr, sockets, /proc."""
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def smtp_greeting(port, host="127.0.0.1", family=socket.AF_INET):
    with socket.socket(family) as s:
        s.settimeout(10)
        s.connect((host, port))
        return s.makefile("rb").readline().decode()


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class ConfigErrors(unittest.TestCase):
    def run_daemon(self, text):
        srv = harness.Server()
        try:
            with open(srv.conf, "w") as f:
                f.write(text)
            return subprocess.run([harness.POSTHORND, "-c", srv.conf],
                                  capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        finally:
            srv.__exit__(None, None, None)

    def test_unknown_key_is_named_with_line(self):
        r = self.run_daemon("hostname = a.test\n\nlisten_smpt = 127.0.0.1:2525\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(":3: unknown key 'listen_smpt'", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_bad_value(self):
        r = self.run_daemon("max_message_size = lots\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(":1: bad size", r.stderr)

    def test_missing_file(self):
        r = subprocess.run([harness.POSTHORND, "-c", "/nonexistent/p.conf"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/p.conf", r.stderr)

    def test_port_in_use(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            r = self.run_daemon("listen_smtp = 127.0.0.1:%d\ndata_dir = /tmp/ph-unused-%d\n"
                                % (port, os.getpid()))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot listen on 127.0.0.1:%d" % port, r.stderr)


class Signals(unittest.TestCase):
    def test_sigterm_exits_cleanly(self):
        with harness.Server() as srv:
            self.assertIn("220 ", smtp_greeting(srv.port("smtp")))
            rc = srv.stop(signal.SIGTERM)
            self.assertEqual(rc, 0)
            self.assertIn("posthornd stopped", srv.log())
            with self.assertRaises(OSError):
                smtp_greeting(srv.port("smtp"))

    def test_sighup_reloads_config(self):
        with harness.Server() as srv:
            srv.write_config(log_level="debug", smtp_max_recipients="3")
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while "configuration reloaded" not in srv.log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("configuration reloaded", srv.log())
            # The new log level applies at once: debug lines now appear.
            smtp_greeting(srv.port("smtp"))
            deadline = time.time() + 10
            while "conn=" not in srv.log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("conn=", srv.log())

    def test_bad_reload_keeps_running(self):
        with harness.Server() as srv:
            with open(srv.conf, "a") as f:
                f.write("not_a_key = 1\n")
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while "reload failed" not in srv.log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("reload failed", srv.log())
            self.assertIn("220 ", smtp_greeting(srv.port("smtp")))


class Listeners(unittest.TestCase):
    @unittest.skipUnless(have_ipv6_loopback(), "no IPv6 loopback on this machine")
    def test_ipv4_and_ipv6(self):
        srv = harness.Server()
        p6 = harness.free_port()
        srv.extra_config["listen_smtp"] = "127.0.0.1:%d, [::1]:%d" % (
            srv.port("smtp"), p6)
        srv.write_config()
        with srv:
            self.assertIn("220 ", smtp_greeting(srv.port("smtp")))
            self.assertIn("220 ", smtp_greeting(p6, "::1", socket.AF_INET6))

    def open_greeted(self, port, n):
        """n connections that all got 220, or None if one was refused."""
        socks = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), 10)
            s.settimeout(10)
            socks.append(s)
            if not s.makefile("rb").readline().startswith(b"220 "):
                for t in socks:
                    t.close()
                return None
        return socks

    def test_connection_limit_per_ip(self):
        with harness.Server(extra_config={"max_connections_per_ip": "3"}) as srv:
            port = srv.port("smtp")
            # The harness's readiness probes count until the daemon sees
            # them close: retry until three fit.
            deadline = time.time() + 15
            socks = self.open_greeted(port, 3)
            while socks is None and time.time() < deadline:
                time.sleep(0.2)
                socks = self.open_greeted(port, 3)
            self.assertIsNotNone(socks, "three connections never fitted under the limit")
            try:
                s = socket.create_connection(("127.0.0.1", port), 10)
                s.settimeout(10)
                line = s.makefile("rb").readline()
                s.close()
                self.assertTrue(line.startswith(b"421 "), line)
            finally:
                for s in socks:
                    s.close()
            # Once they are gone, new connections are welcome again.
            deadline = time.time() + 15
            while time.time() < deadline:
                if smtp_greeting(port).startswith("220 "):
                    break
                time.sleep(0.1)
            self.assertIn("220 ", smtp_greeting(port))


@unittest.skipUnless(os.geteuid() == 0, "privilege drop needs root")
class PrivilegeDrop(unittest.TestCase):
    def test_runs_as_configured_user(self):
        pw = pwd.getpwnam("nobody")
        srv = harness.Server(extra_config={"user": "nobody"})
        os.chmod(srv.tmp, 0o755)  # nobody must reach data_dir inside it
        with srv:
            # Ports are bound (and connectable) before the drop: wait for it.
            deadline = time.time() + 10
            while "running as user nobody" not in srv.log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("running as user nobody", srv.log())
            with open("/proc/%d/status" % srv.proc.pid) as f:
                status = f.read()
            uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
            self.assertEqual(set(uid_line.split()[1:]), {str(pw.pw_uid)})
            self.assertEqual(os.stat(srv.data_dir).st_uid, pw.pw_uid)
            self.assertIn("220 ", smtp_greeting(srv.port("smtp")))


if __name__ == "__main__":
    unittest.main()
