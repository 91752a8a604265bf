#!/usr/bin/env python3
"""test_smtp_badinput.py: hostile and broken SMTP input against a real
posthornd: random bytes, NULs, overlong lines, half-sent commands and
messages, clients that never read, and the session limits (errors,
commands before MAIL, idle timeout). The answer is always an error reply
or a disconnect, never a crash: after every test the daemon still answers,
accepts mail, and `posthorn check` finds the store consistent.
"""
import os
import random
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import test_smtp as base  # noqa: E402

ALICE, DOMAIN = base.ALICE, base.DOMAIN


class BadInputTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(domain=DOMAIN, extra_config={
            "smtp_timeout": "3",
            "smtp_max_commands_before_mail": "30",
            "max_message_size": "64K",
            "max_connections_per_ip": "500",
        })
        cls.srv.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def port(self):
        return self.srv.port("smtp")

    def raw(self):
        r = base.Raw(self.port())
        self.addCleanup(r.close)
        return r

    def tearDown(self):
        self.assert_alive()

    def assert_alive(self):
        """The daemon runs and delivers a message end to end."""
        self.assertIsNone(self.srv.proc.poll(), "posthornd died:\n" + self.srv.log())
        tok = base.token()
        r = base.Raw(self.port())
        try:
            r.ehlo()
            self.assertEqual(r.cmd("MAIL FROM:<check@example.net>")[0], 250)
            self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 250)
            self.assertEqual(r.cmd("DATA")[0], 354)
            r.send(base.make_message(tok) + b".\r\n")
            self.assertEqual(r.reply()[0], 250)
            self.assertEqual(r.cmd("QUIT")[0], 221)
        finally:
            r.close()

    def send_and_drain(self, data, timeout=10):
        """Send data, then read everything the server says until it closes or goes quiet."""
        s = socket.create_connection(("127.0.0.1", self.port()), 10)
        out = b""
        try:
            s.sendall(data)
            s.settimeout(timeout)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if len(out) > 1 << 20:
                    break
        except socket.timeout:
            pass
        except OSError:
            pass     # reset by the server: fine
        finally:
            s.close()
        return out

    def assert_replies_well_formed(self, out):
        for line in out.split(b"\r\n")[:-1]:
            self.assertRegex(line, rb"^[245]\d\d[ -]", out[:500])

    # -- garbage -------------------------------------------------------------

    def test_random_bytes(self):
        rng = random.Random(5321)
        for i in range(40):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6000)))
            out = self.send_and_drain(data, timeout=1)
            self.assertTrue(out.startswith(b"220 "), out[:100])
            self.assert_replies_well_formed(out)
        self.assertIsNone(self.srv.proc.poll())

    def test_random_command_lines(self):
        rng = random.Random(1652)
        verbs = [b"EHLO", b"HELO", b"MAIL FROM:", b"RCPT TO:", b"DATA", b"BDAT", b"RSET",
                 b"NOOP", b"VRFY", b"HELP", b"MAIL FROM:<", b"RCPT TO:<\"", b"BDAT 5"]
        for i in range(40):
            lines = []
            for _ in range(rng.randrange(1, 30)):
                junk = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80)))
                lines.append(rng.choice(verbs) + junk.replace(b"\n", b""))
            out = self.send_and_drain(b"\r\n".join(lines) + b"\r\n", timeout=1)
            self.assertTrue(out.startswith(b"220 "), out[:100])

    def test_nul_and_control_bytes(self):
        r = self.raw()
        r.ehlo()
        for cmd in (b"NO\x00OP", b"MAIL FROM:<a@b.example>\x00", b"RCPT\rTO:<x@y>",
                    b"\x1b[2J", b"EHLO \x7f"):
            r.send(cmd + b"\r\n")
            code, text = r.reply()
            self.assertEqual((code, text[0][:5]), (500, "5.5.2"), cmd)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_overlong_lines(self):
        r = self.raw()
        r.ehlo()
        # Far over the limit, sent in pieces with no LF for a while.
        for _ in range(20):
            r.send(b"A" * 10000)
        r.send(b"\r\n")
        self.assertEqual(r.reply()[0], 500)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        r.send(b"MAIL FROM:<" + b"a" * 3000 + b"@example.net>\r\n")
        self.assertEqual(r.reply()[0], 500)
        r.send(b"MAIL FROM:<" + b"a" * 100 + b"@example.net>\r\n")
        self.assertEqual(r.reply()[0], 501)     # local part over 64
        self.assertEqual(r.cmd("RSET")[0], 250)

    def test_half_sent_commands(self):
        pieces = [b"EH", b"EHLO x\r\nMAIL FR", b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<",
                  b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<%s>\r\nDATA\r\nSubject: half"
                  % ALICE.encode(),
                  b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<%s>\r\nDATA\r\nx\r\n." %
                  ALICE.encode(),
                  b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<%s>\r\nBDAT 100000 LAST\r\nabc"
                  % ALICE.encode(),
                  b"EHLO x\r\nBDAT 99999999999999999999\r\n", b"\r", b"\r\n\r\n\r\n"]
        for data in pieces:
            s = socket.create_connection(("127.0.0.1", self.port()), 10)
            s.sendall(data)
            time.sleep(0.05)
            s.close()
        # Half-open ones too: send, keep the socket, close it later.
        socks = []
        for data in pieces:
            s = socket.create_connection(("127.0.0.1", self.port()), 10)
            s.sendall(data)
            socks.append(s)
        time.sleep(0.3)
        self.assert_alive()
        for s in socks:
            s.close()
        line = base.wait_for_log(self.srv, r"from=<a@b\.example> to=<alice@example\.test> "
                                           r"size=\d+ result=aborted")
        self.assertIn("connection closed", line)

    def test_data_without_end_then_close(self):
        tok = base.token()
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("DATA")
        r.send(base.make_message(tok) + b"\r\n.\n\r.\r")
        r.close()
        time.sleep(0.2)
        self.assertEqual(base.with_token(base.pop_messages(self.srv, ALICE,
                                                           self.srv.users[ALICE]), tok), [])

    def test_client_does_not_read(self):
        # 20000 pipelined commands whose replies the client reads only after
        # sending: the server must pause, not buffer without bound or drop.
        n = 20000
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        data = ("RCPT TO:<%s>\r\n" % ALICE).encode() * n
        sender = threading.Thread(target=r.sock.sendall, args=(data,), daemon=True)
        time.sleep(0.1)
        sender.start()
        time.sleep(1.0)      # the server's output fills while nobody reads
        for i in range(n):
            self.assertEqual(r.reply()[0], 250, i)
        sender.join(30)
        self.assertEqual(r.cmd("RSET")[0], 250)

    # -- session limits -----------------------------------------------------

    def test_max_errors(self):
        r = self.raw()
        r.ehlo()
        for i in range(9):      # smtp_max_errors default: 10
            self.assertEqual(r.cmd("BOGUS %d" % i)[0], 500)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        r.send("BOGUS\r\n")
        self.assertEqual(r.reply()[0], 500)
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (421, "4.7.0"))
        self.assertTrue(r.closed())

    def test_max_errors_pipelined(self):
        out = self.send_and_drain(b"EHLO x\r\n" + b"FOO\r\n" * 50 + b"NOOP\r\n")
        replies = out.split(b"\r\n")
        self.assertEqual(len([x for x in replies if x.startswith(b"500 ")]), 10)
        self.assertTrue(any(x.startswith(b"421 4.7.0") for x in replies))
        self.assertFalse(any(x.startswith(b"250 2.0.0 OK") for x in replies))

    def test_max_commands_before_mail(self):
        r = self.raw()
        r.ehlo()
        for i in range(29):
            self.assertEqual(r.cmd("NOOP")[0], 250, i)
        r.send("NOOP\r\n")
        code, text = r.reply()
        self.assertEqual(code, 421)
        self.assertTrue(r.closed())
        # MAIL resets the count: a long, legitimate session is fine.
        r = self.raw()
        for _ in range(5):
            for _ in range(20):
                self.assertEqual(r.cmd("NOOP")[0], 250)
            r.cmd("EHLO x")
            self.assertEqual(r.cmd("MAIL FROM:<a@b.example>")[0], 250)
            self.assertEqual(r.cmd("RSET")[0], 250)

    def test_idle_timeout(self):
        r = self.raw()
        r.ehlo()
        t0 = time.time()
        code, text = r.reply()
        self.assertEqual((code, text[0][:5]), (421, "4.4.2"))
        self.assertTrue(r.closed())
        self.assertLess(time.time() - t0, 10)

    def test_idle_timeout_in_data(self):
        r = self.raw()
        r.ehlo()
        r.cmd("MAIL FROM:<carol@example.net>")
        r.cmd("RCPT TO:<%s>" % ALICE)
        r.cmd("DATA")
        r.send(b"Subject: slow\r\n\r\nand then noth")
        code, _ = r.reply()
        self.assertEqual(code, 421)
        self.assertTrue(r.closed())
        base.wait_for_log(self.srv, r"from=<carol@example\.net> to=<alice@example\.test> "
                                    r"size=\d+ result=aborted reason=\"connection closed: timeout\"")

    def test_many_connections_dropped_mid_message(self):
        socks = []
        for i in range(100):
            s = socket.create_connection(("127.0.0.1", self.port()), 10)
            s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<%s>\r\n"
                      b"DATA\r\nSubject: dropped\r\n\r\n" % ALICE.encode() + b"y" * 5000)
            socks.append(s)
        time.sleep(0.5)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()   # RST
        time.sleep(0.3)

    def test_store_consistent(self):
        self.assertTrue(os.path.exists(self.srv.conf), os.listdir(self.srv.tmp))
        self.assertEqual(self.srv.cli("check").returncode, 0)


if __name__ == "__main__":
    unittest.main()
