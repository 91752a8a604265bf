#!/usr/bin/env python3
"""test_cli.py: the posthorn admin CLI, run as a real process on a real store.

Every command's success and failure (exit status and the one-line message on
stderr), passwords from stdin and from a terminal (a pty), aliases and
catch-alls, `deliver` seen through `mailbox list` and POP3, `check` on good
and broken setups, and the CLI changing the store while posthornd runs.
"""
import os
import poplib
import pwd
import pty
import select
import smtplib
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = "example.test"
ALICE = "alice@" + D
BOB = "bob@" + D


def mailboxes(srv, address):
    """`mailbox list` as {name: (messages, unseen, size)}."""
    r = srv.cli("mailbox", "list", address)
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["MAILBOX", "MESSAGES", "UNSEEN", "SIZE"], r.stdout
    out = {}
    for line in lines[1:]:
        f = line.split()
        out[f[0]] = (int(f[1]), int(f[2]), int(f[3]))
    return out


def pop3_messages(srv, user, password):
    """Log in over POP3 and return every message as bytes (CRLF lines)."""
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=20)
    try:
        p.user(user)
        p.pass_(password)
        n = len(p.list()[1])
        return [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, n + 1)]
    finally:
        try:
            p.quit()
        except (poplib.error_proto, OSError):
            pass


class CliCase(unittest.TestCase):
    """A provisioned store (domain, alice, bob) and no daemon."""
    start_daemon = False
    extra_config = None

    def setUp(self):
        self.srv = harness.Server(domain=D, extra_config=self.extra_config)
        self.srv.provision()
        if self.start_daemon:
            self.srv.start()

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def fails(self, *args, input=None, contains=None, status=1):
        r = self.srv.cli(*args, input=input, check=False)
        self.assertEqual(r.returncode, status, "posthorn %s: %r" % (args, r))
        err = r.stderr.strip()
        self.assertTrue(err.startswith("posthorn: "), err)
        if status == 1 and "usage" not in err:
            self.assertEqual(len(err.splitlines()), 1, err)
        if contains:
            self.assertIn(contains, err)
        return r


class Usage(CliCase):
    def test_no_command(self):
        r = subprocess.run([harness.POSTHORN], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("usage: posthorn", r.stderr)

    def test_help(self):
        r = self.srv.cli("help")
        for cmd in ("domain add", "user add", "alias add", "mailbox list",
                    "deliver", "check"):
            self.assertIn(cmd, r.stdout)

    def test_unknown_and_reserved_commands(self):
        self.fails("frobnicate", contains='unknown command "frobnicate"')
        # Reserved for later issues: either not there yet or the real thing.
        helptext = self.srv.cli("help").stdout
        for reserved in ("cert", "dkim", "dns", "queue"):
            if "\n  %s " % reserved not in helptext:
                self.fails(reserved, contains="unknown command")

    def test_bad_arguments(self):
        self.fails("domain", contains="usage: posthorn domain")
        self.fails("user", "add", contains="usage: posthorn user")
        self.fails("alias", "add", "x@" + D, contains="usage: posthorn alias")
        self.fails("mailbox", "list", contains="usage: posthorn mailbox")
        self.fails("deliver", contains="usage: posthorn deliver")
        self.fails("check", "extra", contains="usage: posthorn check")

    def test_missing_config(self):
        r = subprocess.run([harness.POSTHORN, "-c", "/nonexistent/p.conf",
                            "domain", "list"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/p.conf", r.stderr)


class Domains(CliCase):
    def test_add_list_del(self):
        self.srv.cli("domain", "add", "Other.Example")
        self.assertEqual(self.srv.cli("domain", "list").stdout.split(),
                         sorted([D, "other.example"]))
        self.fails("domain", "add", "other.example", contains="already exists")
        self.srv.cli("domain", "del", "other.example")
        self.assertEqual(self.srv.cli("domain", "list").stdout.split(), [D])
        self.fails("domain", "del", "other.example", contains="no such domain")

    def test_bad_names(self):
        for bad in ("bad..example", ".example", "a b.example", "ex_ample.org", ""):
            self.fails("domain", "add", bad, contains="bad domain")

    def test_del_refused_while_users_remain(self):
        self.fails("domain", "del", D, contains="still has users")
        self.srv.cli("user", "del", ALICE)
        self.srv.cli("user", "del", BOB)
        self.srv.cli("domain", "del", D)
        self.assertEqual(self.srv.cli("domain", "list").stdout, "")


class Users(CliCase):
    def test_add_list_del(self):
        self.srv.cli("user", "add", "Carol@Example.Test", input="pw-carol\n")
        users = self.srv.cli("user", "list").stdout.split()
        self.assertEqual(sorted(users), sorted([ALICE, BOB, "carol@" + D]))
        self.fails("user", "add", "carol@" + D, input="x\n",
                   contains="already exists")
        self.srv.cli("user", "del", "carol@" + D)
        self.assertNotIn("carol@" + D, self.srv.cli("user", "list").stdout)
        self.fails("user", "del", "carol@" + D, contains="no such user")

    def test_add_errors(self):
        self.fails("user", "add", "dan@nowhere.test", input="pw\n",
                   contains="no such domain: nowhere.test")
        self.fails("user", "add", "no-at-sign", input="pw\n",
                   contains="bad address")
        self.fails("user", "add", "a b@" + D, input="pw\n",
                   contains="bad address")
        self.fails("user", "add", "x" * 65 + "@" + D, input="pw\n",
                   contains="local part")
        self.fails("user", "add", "dan@" + D, input="",
                   contains="no password")
        self.fails("user", "add", "dan@" + D, input="\n",
                   contains="no password")
        self.fails("user", "add", "dan@" + D, input="x" * 2000 + "\n",
                   contains="too long")
        self.assertNotIn("dan@" + D, self.srv.cli("user", "list").stdout)

    def test_passwd_errors(self):
        self.fails("user", "passwd", "nobody@" + D, input="pw\n",
                   contains="no such user")
        self.fails("user", "passwd", ALICE, input="", contains="no password")

    def test_mailbox_list_of_new_user(self):
        boxes = mailboxes(self.srv, ALICE)
        self.assertEqual(sorted(boxes), sorted(
            ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]))
        for counts in boxes.values():
            self.assertEqual(counts, (0, 0, 0))
        self.fails("mailbox", "list", "nobody@" + D, contains="no such user")

def run_on_tty(srv, args, answers):
    """Run posthorn on a pty, answering each prompt; returns (rc, output)."""
    try:
        master, slave = pty.openpty()
    except OSError as e:
        raise unittest.SkipTest("no pseudo-terminal: %s" % e)
    p = subprocess.Popen([harness.POSTHORN, "-c", srv.conf] + args,
                         stdin=slave, stdout=slave, stderr=slave,
                         close_fds=True)
    os.close(slave)
    out = b""
    pending = list(answers)
    answered = 0        # output length when the last answer was sent
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 1)
            if not r:
                if p.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:     # EIO: the child closed the pty
                break
            if not chunk:
                break
            out += chunk
            if pending and out[answered:].rstrip().endswith(b"password:"):
                os.write(master, pending.pop(0).encode() + b"\n")
                answered = len(out)
        return p.wait(timeout=30), out.decode("utf-8", "replace")
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()


class PasswordPrompt(CliCase):
    def test_prompted_twice_without_echo(self):
        rc, out = run_on_tty(self.srv, ["user", "add", "erin@" + D],
                                  ["tty-secret-1", "tty-secret-1"])
        self.assertEqual(rc, 0, out)
        self.assertIn("New password:", out)
        self.assertIn("Retype password:", out)
        self.assertNotIn("tty-secret-1", out)
        self.assertIn("erin@" + D, self.srv.cli("user", "list").stdout)

    def test_mismatch_refused(self):
        rc, out = run_on_tty(self.srv, ["user", "add", "fred@" + D],
                                  ["one-password", "another-password"])
        self.assertEqual(rc, 1, out)
        self.assertIn("passwords do not match", out)
        self.assertNotIn("fred@" + D, self.srv.cli("user", "list").stdout)


class Aliases(CliCase):
    def test_add_list_del(self):
        self.srv.cli("alias", "add", "Info@" + D, ALICE)
        self.srv.cli("alias", "add", "team@" + D, ALICE + "," + BOB)
        self.srv.cli("alias", "add", "both@" + D, ALICE, BOB)   # several args
        self.srv.cli("alias", "add", "@" + D, BOB)              # catch-all
        lines = self.srv.cli("alias", "list").stdout.splitlines()
        self.assertIn("info@%s -> %s" % (D, ALICE), lines)
        self.assertIn("team@%s -> %s,%s" % (D, ALICE, BOB), lines)
        self.assertIn("both@%s -> %s,%s" % (D, ALICE, BOB), lines)
        self.assertIn("@%s -> %s" % (D, BOB), lines)
        self.fails("alias", "add", "info@" + D, BOB, contains="already exists")
        self.srv.cli("alias", "del", "info@" + D)
        self.srv.cli("alias", "del", "@" + D)
        lines = self.srv.cli("alias", "list").stdout.splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.fails("alias", "del", "info@" + D, contains="no such alias")

    def test_add_errors(self):
        self.fails("alias", "add", "x@nowhere.test", ALICE,
                   contains="no such domain: nowhere.test")
        self.fails("alias", "add", "x@" + D, "not-an-address",
                   contains="bad address")
        self.fails("alias", "add", "x@" + D, ",", contains="at least one target")
        self.fails("alias", "add", "@bad..domain", ALICE, contains="bad domain")


MESSAGE = "From: someone@example.org\nSubject: cli deliver\n\nline one\nline two\n"


class Deliver(CliCase):
    def test_deliver_counts_in_mailbox_list(self):
        self.srv.cli("deliver", ALICE, input=MESSAGE)
        self.srv.cli("deliver", ALICE, input=MESSAGE)
        inbox = mailboxes(self.srv, ALICE)["INBOX"]
        self.assertEqual(inbox[0], 2)
        self.assertEqual(inbox[1], 2)      # unseen
        # Size counts CRLF line ends: every LF became CRLF.
        self.assertEqual(inbox[2], 2 * (len(MESSAGE) + MESSAGE.count("\n")))
        self.assertEqual(mailboxes(self.srv, BOB)["INBOX"][0], 0)

    def test_line_ends_normalized(self):
        raw = "Subject: mixed\rX-A: 1\r\nX-B: 2\n\nbody\r\rlast line"
        want = "Subject: mixed\r\nX-A: 1\r\nX-B: 2\r\n\r\nbody\r\n\r\nlast line\r\n"
        self.srv.cli("deliver", ALICE, input=raw)
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][2], len(want))

    def test_aliases_and_catch_all(self):
        self.srv.cli("alias", "add", "team@" + D, ALICE + "," + BOB)
        self.srv.cli("alias", "add", "@" + D, BOB)
        self.srv.cli("deliver", "team@" + D, input=MESSAGE)
        self.srv.cli("deliver", "whoever@" + D, input=MESSAGE)
        # Two addresses resolving to the same user store one message for her.
        self.srv.cli("deliver", ALICE, "team@" + D, input=MESSAGE)
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][0], 2)
        self.assertEqual(mailboxes(self.srv, BOB)["INBOX"][0], 3)

    def test_alias_forwarding_elsewhere(self):
        # An MDA stores; forwarding to other domains is the daemon's job.
        self.srv.cli("alias", "add", "out@" + D, "x@elsewhere.test")
        self.srv.cli("alias", "add", "mixed@" + D, ALICE + ",y@elsewhere.test")
        self.fails("deliver", "out@" + D, input=MESSAGE,
                   contains="only forwards to other domains (x@elsewhere.test...)")
        r = self.srv.cli("deliver", "mixed@" + D, input=MESSAGE)
        self.assertIn("stores only the local copies", r.stderr)
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][0], 1)
        self.assertIn("queue is empty", self.srv.cli("queue", "list").stdout)

    def test_refusals(self):
        self.fails("deliver", "nobody@" + D, input=MESSAGE,
                   contains="no such user or alias")
        self.fails("deliver", "someone@elsewhere.test", input=MESSAGE,
                   contains="not a local domain")
        self.fails("deliver", ALICE, input="", contains="empty message")
        self.fails("deliver", ALICE, input="a\0b\n", contains="NUL")
        self.fails("deliver", "-f", "a b@x", ALICE, input=MESSAGE,
                   contains="bad sender")
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][0], 0)


class DeliverLimits(CliCase):
    extra_config = {"max_message_size": "2K"}

    def test_too_big(self):
        self.fails("deliver", ALICE, input="Subject: big\n\n" + "x" * 3000 + "\n",
                   contains="too big")
        self.srv.cli("deliver", ALICE, input="Subject: small\n\nok\n")
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][0], 1)


class DeliverTempfail(CliCase):
    """A store that cannot grow answers 75 (EX_TEMPFAIL) and keeps what it had."""
    extra_config = {"map_size": "1M", "max_message_size": "8M"}

    def test_map_full_is_temporary(self):
        self.srv.cli("deliver", ALICE, input=MESSAGE)
        big = "Subject: big\n\n" + ("y" * 76 + "\n") * 30000     # ~2.3 MB
        self.fails("deliver", ALICE, input=big, status=75,
                   contains="delivery failed")
        self.assertEqual(mailboxes(self.srv, ALICE)["INBOX"][0], 1)
        self.srv.cli("check")


class Check(CliCase):
    def test_good_setup(self):
        r = self.srv.cli("check")
        self.assertIn("no problems found", r.stdout)
        self.assertIn("1 domain, 2 users", r.stdout)
        self.assertEqual(r.stderr, "")

    def test_bad_key_is_line_numbered(self):
        with open(self.srv.conf, "a") as f:
            f.write("listen_smpt = 127.0.0.1:25\n")
        with open(self.srv.conf) as f:
            lineno = len(f.read().splitlines())
        r = self.fails("check", contains="%s:%d: unknown key 'listen_smpt'"
                       % (self.srv.conf, lineno))
        self.assertEqual(r.stdout, "")

    def test_data_dir_is_a_file(self):
        path = os.path.join(self.srv.tmp, "not-a-dir")
        open(path, "w").close()
        self.srv.write_config(data_dir=path)
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("data_dir %s is not a directory" % path, r.stderr)
        self.assertIn("1 problem found", r.stderr)

    def test_data_dir_missing(self):
        path = os.path.join(self.srv.tmp, "missing")
        self.srv.write_config(data_dir=path)
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("data_dir %s: No such file or directory" % path, r.stderr)
        self.assertFalse(os.path.exists(path), "check must not create data_dir")

    def test_unreadable_tls_files(self):
        self.srv.write_config(tls_cert=os.path.join(self.srv.tmp, "none.pem"),
                              tls_key=os.path.join(self.srv.tmp, "none.key"))
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("tls_cert %s" % os.path.join(self.srv.tmp, "none.pem"),
                      r.stderr)
        self.assertIn("2 problems found", r.stderr)

    def make_cert(self, name):
        cert = os.path.join(self.srv.tmp, name + ".crt")
        key = os.path.join(self.srv.tmp, name + ".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=%s.test" % name, "-keyout", key,
                        "-out", cert], check=True, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
        return cert, key

    def test_tls_pair_loaded_like_the_daemon(self):
        cert1, key1 = self.make_cert("one")
        cert2, key2 = self.make_cert("two")
        self.srv.write_config(tls_cert=cert1, tls_key=key1)
        r = self.srv.cli("check")
        self.assertIn("certificate and key load and match", r.stdout)
        self.srv.write_config(tls_cert=cert1, tls_key=key2)
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("posthorn: check: tls: ", r.stderr)
        self.assertIn("1 problem found", r.stderr)

    def test_shipped_example_config_parses(self):
        src = os.path.join(harness.SRCDIR, "etc", "posthorn.conf")
        conf = os.path.join(self.srv.tmp, "example.conf")
        missing = os.path.join(self.srv.tmp, "example-data")
        with open(src) as f, open(conf, "w") as out:
            for line in f:
                if line.startswith("data_dir"):
                    line = "data_dir = %s\n" % missing
                out.write(line)
        r = subprocess.run([harness.POSTHORN, "-c", conf, "check"],
                           capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        self.assertIn("config: %s parsed" % conf, r.stdout, r.stderr)
        self.assertIn("listeners: 14 addresses", r.stdout, r.stderr)
        self.assertNotIn(conf + ":", r.stderr)
        self.assertFalse(os.path.exists(missing))


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class PrivilegeDrop(unittest.TestCase):
    """Run as root with `user` set, the CLI creates the store as that user."""

    def test_store_belongs_to_user(self):
        nobody = pwd.getpwnam("nobody")
        srv = harness.Server(domain=D)
        try:
            os.chmod(srv.tmp, 0o711)      # let nobody reach data_dir
            srv.write_config(user="nobody")
            srv.cli("domain", "add", D)
            srv.cli("user", "add", ALICE, input="pw\n")
            self.assertEqual(os.stat(srv.data_dir).st_uid, nobody.pw_uid)
            files = os.listdir(srv.data_dir)
            self.assertTrue(files)
            for name in files:
                st = os.stat(os.path.join(srv.data_dir, name))
                self.assertEqual(st.st_uid, nobody.pw_uid, name)
            self.assertIn("no problems found", srv.cli("check").stdout)
        finally:
            srv.__exit__(None, None, None)

    def test_check_tls_files_readable_after_drop(self):
        srv = harness.Server(domain=D)
        try:
            os.chmod(srv.tmp, 0o711)
            cert = os.path.join(srv.tmp, "c.pem")
            key = os.path.join(srv.tmp, "k.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-days", "2", "-subj", "/CN=a.test", "-keyout", key,
                            "-out", cert], check=True, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=60)
            os.chmod(cert, 0o644)
            os.chmod(key, 0o600)           # root only: reload would fail
            srv.write_config(user="nobody", tls_cert=cert, tls_key=key)
            srv.cli("domain", "add", D)
            r = srv.cli("check", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("tls_key %s is not readable by user nobody" % key,
                          r.stderr)
            os.chmod(key, 0o644)
            self.assertIn("no problems found", srv.cli("check").stdout)
        finally:
            srv.__exit__(None, None, None)


class Documentation(unittest.TestCase):
    """Every config key the parser accepts is explained to the administrator."""

    def test_every_key_documented(self):
        import re
        with open(os.path.join(harness.SRCDIR, "common", "config.c")) as f:
            src = f.read()
        keys = set(re.findall(r'\b(?:HOST|STR|INT|SIZE|LISTEN)\("([a-z0-9_]+)"', src))
        keys |= set(re.findall(r'\{ "([a-z0-9_]+)", CT_', src))
        self.assertIn("hostname", keys)
        self.assertIn("max_message_size", keys)
        for doc in ("etc/posthorn.conf", "README.md"):
            with open(os.path.join(harness.SRCDIR, doc)) as f:
                text = f.read()
            missing = sorted(k for k in keys
                             if not re.search(r"(^|[^a-z0-9_])%s([^a-z0-9_]|$)" % k,
                                              text, re.M))
            self.assertEqual(missing, [], "keys not explained in " + doc)


class WhileDaemonRuns(CliCase):
    start_daemon = True

    def test_user_added_while_running_receives_smtp(self):
        carol = "carol@" + D
        self.srv.cli("user", "add", carol, input="carol-pw-3\n")
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30) as s:
            refused = s.sendmail("x@example.org", [carol],
                                 "Subject: hi carol\r\n\r\nhello\r\n")
        self.assertEqual(refused, {})
        msgs = pop3_messages(self.srv, carol, "carol-pw-3")
        self.assertEqual(len(msgs), 1)
        self.assertIn(b"hello", msgs[0])
        self.assertEqual(mailboxes(self.srv, carol)["INBOX"][0], 1)

    def test_alias_added_while_running_accepts_rcpt(self):
        self.srv.cli("alias", "add", "sales@" + D, BOB)
        with smtplib.SMTP("127.0.0.1", self.srv.port("smtp"), timeout=30) as s:
            s.sendmail("x@example.org", ["sales@" + D], "Subject: s\r\n\r\nbuy\r\n")
        self.assertEqual(len(pop3_messages(self.srv, BOB, self.srv.users[BOB])), 1)

    def test_passwd_while_running(self):
        self.srv.cli("user", "passwd", ALICE, input="new-alice-pw\r\nignored\n")
        pop3_messages(self.srv, ALICE, "new-alice-pw")
        with self.assertRaises(poplib.error_proto):
            pop3_messages(self.srv, ALICE, self.srv.users[ALICE])

    def test_deliver_while_running_is_seen_over_pop3(self):
        self.srv.cli("deliver", "-f", "sender@example.org", ALICE,
                     input="From sender@example.org Mon Jan  1 00:00:00 2024\n"
                     + MESSAGE)
        msgs = pop3_messages(self.srv, ALICE, self.srv.users[ALICE])
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertTrue(m.startswith(b"Return-Path: <sender@example.org>\r\n"), m)
        self.assertIn(b"Subject: cli deliver\r\n\r\nline one\r\nline two\r\n", m)
        self.assertNotIn(b"From sender@example.org Mon", m)

    def test_check_while_running(self):
        r = self.srv.cli("check")
        self.assertIn("no problems found", r.stdout)
        self.assertIn("queue: 0 messages, 0 recipients pending", r.stdout)

    def test_check_outbound_settings(self):
        self.srv.write_config(relayhost_user="me@provider.test")
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("relayhost_user is set but relayhost is not", r.stderr)
        self.srv.write_config(relayhost="127.0.0.1:2525", relayhost_user="me@provider.test",
                              relayhost_tls="none", tls_ca_file="/nonexistent/ca.pem")
        r = self.srv.cli("check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("outbound: all mail goes through relayhost 127.0.0.1:2525", r.stdout)
        self.assertIn("password unencrypted", r.stdout)
        self.assertIn("tls_ca_file /nonexistent/ca.pem", r.stderr)
        self.srv.write_config()


if __name__ == "__main__":
    unittest.main()
