"""outbound_env.py: the world outside the server for the outbound tests.

- Nsd: a real authoritative DNS server (Debian's nsd) on 127.0.0.1:PORT,
  run in the foreground as root without chroot, serving one zone "test."
  built by Zone (MX, A, AAAA, TXT records); every other name under .test
  is NXDOMAIN. posthornd's `dns_server` points at it.
- Sink: a small threaded SMTP server on 127.0.0.N:PORT or [::1]:PORT that
  records every connection and transaction (EHLO name, TLS, MAIL FROM,
  RCPT TO, DATA bytes) and can be programmed per stage or per recipient to
  answer 250, 4xx, 5xx, hang or close the connection; optional STARTTLS
  with a self-signed certificate made by `openssl`; optional PIPELINING,
  8BITMIME, SMTPUTF8, SIZE advertisement.
- helpers: an outbound posthornd (harness.Server with dns_server,
  outbound_port and short timeouts/retries), submission with smtplib,
  INBOX reading with imaplib, bounded waits.
- OutboundCase: the unittest base class of test_outbound*.py (one nsd per
  class with build_zone(), sinks and a fresh server per test, waits that
  show the daemon's log when they time out, DSN assertions).

It deliberately is not a full SMTP server: no AUTH, no BDAT, no relaying.
"""
import email
import email.policy
import imaplib
import os
import re
import shutil
import signal
import smtplib
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

NSD = shutil.which("nsd") or "/usr/sbin/nsd"


def have_nsd():
    return os.path.exists(NSD)


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_for(pred, timeout=30, interval=0.1, what="condition"):
    """Poll pred() until it returns something true; return it or raise."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------------------
# DNS: zone builder and nsd
# ---------------------------------------------------------------------------
class Zone:
    """Records of the zone "test." (names are absolute, without the final dot)."""

    ORIGIN = "test"

    def __init__(self):
        self.records = []  # (name, type, rdata-text)

    def add(self, name, rtype, value):
        name = name.rstrip(".").lower()
        assert name == self.ORIGIN or name.endswith("." + self.ORIGIN), name
        self.records.append((name, rtype.upper(), value))
        return self

    def mx(self, domain, pref, host):
        """host "" or "." is the null MX of RFC 7505."""
        target = "." if host in ("", ".") else host.rstrip(".") + "."
        return self.add(domain, "MX", "%d %s" % (pref, target))

    def a(self, name, addr):
        return self.add(name, "A", addr)

    def aaaa(self, name, addr):
        return self.add(name, "AAAA", addr)

    def txt(self, name, value):
        """value: the text; split into 255-byte strings here."""
        parts = [value[i:i + 250] for i in range(0, len(value), 250)] or [""]
        return self.add(name, "TXT", " ".join('"%s"' % p.replace('"', '\\"')
                                             for p in parts))

    def remove(self, name, rtype=None):
        name = name.rstrip(".").lower()
        self.records = [r for r in self.records
                        if not (r[0] == name and (rtype is None or r[1] == rtype.upper()))]
        return self

    def text(self, serial):
        lines = ["$ORIGIN test.", "$TTL 5",
                 "@ IN SOA ns.test. hostmaster.test. %d 3600 600 86400 5" % serial,
                 "@ IN NS ns.test.",
                 "ns IN A 127.0.0.1"]
        for name, rtype, value in self.records:
            lines.append("%s. IN %s %s" % (name, rtype, value))
        return "\n".join(lines) + "\n"


class Nsd:
    """A real nsd on 127.0.0.1:port serving a Zone. Use as a context manager."""

    def __init__(self, zone=None):
        self.zone = zone if zone is not None else Zone()
        self.tmp = tempfile.mkdtemp(prefix="posthorn-nsd-")
        self.port = None
        self.proc = None
        self.serial = 1

    def _write(self):
        with open(os.path.join(self.tmp, "test.zone"), "w") as f:
            f.write(self.zone.text(self.serial))
        conf = """server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 1
    server-count: 1
    hide-version: yes
    refuse-any: yes
    # Response rate limiting would drop answers to a daemon that asks
    # MX + AAAA + A for every delivery from one address (seen in bench/).
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "test"
    zonefile: "test.zone"
""".format(port=self.port, d=self.tmp)
        with open(os.path.join(self.tmp, "nsd.conf"), "w") as f:
            f.write(conf)

    def start(self):
        """Start on self.port, or on a free port (another one when nsd
        cannot bind the first: free_port() checked TCP only)."""
        if self.port is not None:
            return self._start()
        for attempt in range(3):
            self.port = harness.free_port()
            try:
                return self._start()
            except AssertionError:
                if attempt == 2:
                    raise
                self.stop()

    def _start(self):
        self._write()
        self.logf = open(os.path.join(self.tmp, "nsd.out"), "ab")
        self.proc = subprocess.Popen([NSD, "-d", "-c", os.path.join(self.tmp, "nsd.conf")],
                                     stdout=self.logf, stderr=self.logf,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nsd exited %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                rcode, _ = dns_query(self.port, "test", 6, timeout=0.3)
                if rcode == 0:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("nsd does not answer on %d:\n%s" % (self.port, self.log()))
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.logf.close()

    def reload(self):
        """Serve the zone as it is now (restart on the same port: simple and certain)."""
        self.serial += 1
        self.stop()
        self.start()

    def log(self):
        out = ""
        for name in ("nsd.out", "nsd.log"):
            try:
                with open(os.path.join(self.tmp, name), "rb") as f:
                    out += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return out

    def server(self):
        """The dns_server config value."""
        return "127.0.0.1:%d" % self.port

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def _skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def dns_query(port, name, qtype, timeout=2.0, host="127.0.0.1"):
    """(rcode, [(type, rdata bytes)]) of the answer section; TCP when truncated."""
    qid = int.from_bytes(os.urandom(2), "big")
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _encode_name(name) + \
        struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, (host, port))
        msg = s.recv(65535)
    if msg[2] & 0x02:  # TC
        with socket.create_connection((host, port), timeout) as s:
            s.sendall(struct.pack(">H", len(query)) + query)
            f = s.makefile("rb")
            n = struct.unpack(">H", f.read(2))[0]
            msg = f.read(n)
    hid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    assert hid == qid
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    answers = []
    for _ in range(an):
        off = _skip_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        answers.append((rtype, msg[off:off + rdlen]))
        off += rdlen
    return flags & 0x0F, answers


def txt_strings(rdata):
    out, i = b"", 0
    while i < len(rdata):
        n = rdata[i]
        out += rdata[i + 1:i + 1 + n]
        i += 1 + n
    return out


# ---------------------------------------------------------------------------
# SMTP sink
# ---------------------------------------------------------------------------
HANG = "HANG"    # say nothing until the test releases the sink (or 60 s)
CLOSE = "CLOSE"  # close the connection without a reply

_cert_lock = threading.Lock()
_cert_cache = {}


def make_cert(directory, name="mx.remote.test"):
    """A self-signed EC certificate for name: (cert, key) paths."""
    cert = os.path.join(directory, "sink-cert.pem")
    key = os.path.join(directory, "sink-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % name],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Session:
    """One connection to the sink."""

    def __init__(self, peer):
        self.peer = peer
        self.ehlo = None        # the EHLO/HELO argument
        self.ehlo_verb = None
        self.tls = False
        self.commands = []      # every command line received (str)
        self.closed_by = None   # "quit", "client", "sink"
        self.counted_out = False  # no longer counted in Sink.active


class Transaction:
    """From MAIL FROM to the end of DATA (or RSET/close)."""

    def __init__(self, session, mail_arg):
        self.session = session
        self.mail_arg = mail_arg
        self.mail_from = _path(mail_arg)
        self.rcpts = []          # accepted (2xx)
        self.rcpt_replies = []   # (address, full reply)
        self.data = None         # message bytes (dot-unstuffed, CRLF) when 250 to DATA
        self.data_reply = None
        self.tls = session.tls
        self.ehlo = session.ehlo
        self.pipelined = None    # see Sink.probe_pipelining

    def __repr__(self):
        return "<Transaction from=%r rcpts=%r tls=%r data=%s>" % (
            self.mail_from, self.rcpts, self.tls,
            None if self.data is None else len(self.data))


def _path(arg):
    """The address in "FROM:<a@b> SIZE=1" / "TO:<a@b>" (lowercase not applied)."""
    lt, gt = arg.find("<"), arg.find(">")
    if lt < 0 or gt < lt:
        return arg.split(":", 1)[-1].strip().split(" ")[0]
    return arg[lt + 1:gt]


class _LineSock:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self, limit=1 << 20):
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("line too long")
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def poll(self):
        """Take in what has arrived already, without waiting."""
        timeout = self.sock.gettimeout()
        self.sock.setblocking(False)
        try:
            data = self.sock.recv(65536)
            if data:
                self.buf += data
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        finally:
            self.sock.settimeout(timeout)

    def send(self, text):
        self.sock.sendall(text.encode("utf-8") if isinstance(text, str) else text)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.sink._serve(self.request, self.client_address)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _TCPServer6(_TCPServer):
    address_family = socket.AF_INET6


class Sink:
    """A recording, programmable SMTP server on (addr, port)."""

    def __init__(self, addr, port, name="mx.remote.test", tls=False,
                 extensions=("PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE 52428800"),
                 certdir=None):
        self.addr, self.port, self.name = addr, port, name
        self.extensions = list(extensions)
        self.lock = threading.Condition()
        self.rules = {}       # stage -> [reply, remaining or None]
        self.rcpt_rules = {}  # lowercase address -> [reply, remaining or None]
        self.sessions = []
        self.transactions = []
        self.messages = []    # transactions whose DATA got 2xx
        self.release = threading.Event()
        self.active = 0       # connections open now
        self.max_active = 0   # the most at once
        self.closed = False
        self.tls_ctx = None
        # Pause 0.3 s before answering MAIL and record whether more
        # commands came meanwhile (Transaction.pipelined): a client may
        # only do that after the server offered PIPELINING (RFC 2920).
        self.probe_pipelining = False
        if tls:
            self.enable_tls(certdir)
        cls = _TCPServer6 if ":" in addr else _TCPServer
        self.server = cls((addr, port), _Handler)
        self.server.sink = self
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def enable_tls(self, certdir=None):
        with _cert_lock:
            if self.name not in _cert_cache:
                d = tempfile.mkdtemp(prefix="posthorn-sinkcert-")
                _cert_cache[self.name] = make_cert(d, self.name)
        self.cert, self.key = _cert_cache[self.name]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        self.tls_ctx = ctx

    # ---- programming --------------------------------------------------------
    def set(self, stage, reply, times=None):
        """Answer stage ("connect", "ehlo", "starttls", "mail", "rcpt",
        "data", "dot") with reply (text, HANG or CLOSE) the next `times`
        times (None: until cleared)."""
        with self.lock:
            self.rules.setdefault(stage, []).append([reply, times])

    def set_rcpt(self, address, reply, times=None):
        with self.lock:
            self.rcpt_rules.setdefault(address.lower(), []).append([reply, times])

    def clear(self):
        """Back to answering everything with success; hung sessions are let go."""
        with self.lock:
            self.rules.clear()
            self.rcpt_rules.clear()
        self.release.set()

    def _take(self, table, key):
        with self.lock:
            rules = table.get(key)
            while rules:
                reply, times = rules[0]
                if times is None:
                    return reply
                if times > 0:
                    rules[0][1] -= 1
                    if rules[0][1] == 0:
                        rules.pop(0)
                    return reply
                rules.pop(0)
            return None

    # ---- observation --------------------------------------------------------
    def wait_messages(self, n, timeout=30):
        """Wait until at least n messages were accepted; returns the list."""
        deadline = time.time() + timeout
        with self.lock:
            while len(self.messages) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("sink %s: %d of %d messages after %ss; "
                                         "transactions: %r" % (self.addr, len(self.messages),
                                                               n, timeout, self.transactions))
                self.lock.wait(min(left, 0.2))
            return list(self.messages)

    def wait_transactions(self, n, timeout=30):
        deadline = time.time() + timeout
        with self.lock:
            while len(self.transactions) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("sink %s: %d of %d transactions after %ss"
                                         % (self.addr, len(self.transactions), n, timeout))
                self.lock.wait(min(left, 0.2))
            return list(self.transactions)

    def wait_sessions(self, n, timeout=30):
        deadline = time.time() + timeout
        with self.lock:
            while len(self.sessions) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("sink %s: %d of %d connections after %ss"
                                         % (self.addr, len(self.sessions), n, timeout))
                self.lock.wait(min(left, 0.2))
            return list(self.sessions)

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    # ---- the SMTP server ----------------------------------------------------
    def _record(self, lst, item):
        with self.lock:
            lst.append(item)
            self.lock.notify_all()

    def _reply(self, conn, stage, default, key=None):
        """Send the programmed or default reply. False when the session ends."""
        reply = None
        if key is not None:
            reply = self._take(self.rcpt_rules, key.lower())
        if reply is None:
            reply = self._take(self.rules, stage)
        if reply is None:
            reply = default
        if reply == HANG:
            self.release.wait(60)
            return None
        if reply == CLOSE:
            return None
        lines = reply.split("\n")
        code = lines[0][:3]
        out = "".join("%s%s%s\r\n" % (code, "-" if i < len(lines) - 1 else " ",
                                      l[4:] if l[:3] == code else l)
                      for i, l in enumerate(lines))
        conn.send(out)
        return reply

    def _serve(self, sock, peer):
        sock.settimeout(60)
        sess = Session(peer)
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self._record(self.sessions, sess)
        conn = _LineSock(sock)
        try:
            self._dialogue(conn, sess)
        except (OSError, ValueError, ssl.SSLError):
            sess.closed_by = sess.closed_by or "error"
        finally:
            self._inactive(sess)
            try:
                conn.sock.close()
            except OSError:
                pass

    def _inactive(self, sess):
        with self.lock:
            if not sess.counted_out:
                sess.counted_out = True
                self.active -= 1

    def _dialogue(self, conn, sess):
        if not self._reply(conn, "connect", "220 %s ESMTP sink" % self.name):
            sess.closed_by = "sink"
            return
        tx = None
        while True:
            raw = conn.readline()
            if raw is None:
                sess.closed_by = "client"
                if tx is not None and tx.data is None:
                    pass
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                sess.commands.append(line)
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                sess.ehlo, sess.ehlo_verb = arg.strip(), verb
                tx = None
                if verb == "EHLO":
                    ext = list(self.extensions)
                    if self.tls_ctx is not None and not sess.tls:
                        ext.append("STARTTLS")
                    default = "\n".join(["250 %s" % self.name] + ["250 " + e for e in ext])
                else:
                    default = "250 %s" % self.name
                ok = self._reply(conn, "ehlo", default)
            elif verb == "STARTTLS" and self.tls_ctx is not None and not sess.tls:
                ok = self._reply(conn, "starttls", "220 2.0.0 go ahead")
                if ok and ok.startswith("220"):
                    if conn.buf:
                        conn.send("554 5.5.0 pipelined STARTTLS\r\n")
                        return
                    conn.sock = self.tls_ctx.wrap_socket(conn.sock, server_side=True)
                    sess.tls = True
                    sess.ehlo = None
                    tx = None
            elif verb == "MAIL":
                tx = Transaction(sess, arg)
                self._record(self.transactions, tx)
                if self.probe_pipelining:
                    time.sleep(0.3)
                    conn.poll()
                    tx.pipelined = bool(conn.buf)
                default = "250 2.1.0 sender ok"
                limit = self._size_limit()
                size = re.search(r"(?i)\bSIZE=(\d+)", arg)
                if limit and size and int(size.group(1)) > limit:
                    default = "552 5.3.4 message size exceeds fixed limit"
                ok = self._reply(conn, "mail", default)
                if ok and not ok.startswith("2"):
                    tx = None
            elif verb == "RCPT":
                if tx is None:
                    ok = self._reply(conn, "-", "503 5.5.1 MAIL first")
                    continue
                addr = _path(arg)
                ok = self._reply(conn, "rcpt", "250 2.1.5 recipient ok", key=addr)
                if ok:
                    with self.lock:
                        tx.rcpt_replies.append((addr, ok))
                        if ok.startswith("2"):
                            tx.rcpts.append(addr)
            elif verb == "DATA":
                if tx is None or not tx.rcpts:
                    ok = self._reply(conn, "-", "554 5.5.1 no valid recipients")
                    continue
                ok = self._reply(conn, "data", "354 go ahead")
                if ok and ok.startswith("354"):
                    body = self._read_data(conn)
                    if body is None:
                        sess.closed_by = "client"
                        return
                    default = "250 2.0.0 accepted as %d" % len(self.messages)
                    if self._size_limit() and len(body) > self._size_limit():
                        default = "552 5.3.4 message too big"
                    ok = self._reply(conn, "dot", default)
                    if ok:
                        tx.data_reply = ok
                        if ok.startswith("2"):
                            tx.data = body
                            self._record(self.messages, tx)
                    tx = None
            elif verb == "RSET":
                tx = None
                ok = self._reply(conn, "-", "250 2.0.0 reset")
            elif verb == "NOOP":
                ok = self._reply(conn, "-", "250 2.0.0 ok")
            elif verb == "QUIT":
                # Not active any more before the 221: a client that waits
                # for it can open its next connection without our count
                # seeing both at once.
                self._inactive(sess)
                conn.send("221 2.0.0 bye\r\n")
                sess.closed_by = "quit"
                return
            else:
                ok = self._reply(conn, "-", "502 5.5.2 command not implemented")
            if not ok:
                sess.closed_by = "sink"
                return

    def _size_limit(self):
        for e in self.extensions:
            if e.upper().startswith("SIZE ") and e.split()[1].isdigit():
                return int(e.split()[1])
        return 0

    def _read_data(self, conn):
        out = []
        while True:
            raw = conn.readline()
            if raw is None:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(out)
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw)


def sink_port(addrs):
    """A port free on every address of addrs (all sinks of a test share it)."""
    for _ in range(50):
        port = harness.free_port()
        ok = True
        for a in addrs:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            with socket.socket(fam) as s:
                try:
                    s.bind((a, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise AssertionError("no common free port on %r" % (addrs,))


# ---------------------------------------------------------------------------
# posthornd as the sending server
# ---------------------------------------------------------------------------
DOMAIN = "example.test"
ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
PASSWORDS = {ALICE: "alice-secret-1", BOB: "bob-secret-2"}
LISTEN = ("smtp", "submission", "imap")


def outbound_config(nsd, port, **extra):
    cfg = {
        "dns_server": nsd.server(),
        "outbound_port": str(port),
        "outbound_connect_timeout": "2",
        "outbound_timeout": "3",
        "queue_retry_schedule": "1s",
        "queue_lifetime": "5d",
    }
    cfg.update({k: str(v) for k, v in extra.items()})
    return cfg


def sending_server(nsd, port, domain=DOMAIN, users=None, listen=LISTEN, **extra):
    """A harness.Server (not started) that sends through nsd to sinks on port."""
    return harness.Server(domain=domain, users=users, listen=listen,
                          extra_config=outbound_config(nsd, port, **extra))


def make_message(sender, to, subject="outbound test", body="Hello.\r\n", token=None,
                 extra_headers=()):
    """A complete RFC 5322 message (bytes, CRLF) with Date and Message-ID."""
    token = token or os.urandom(6).hex()
    hdr = ["From: <%s>" % sender,
           "To: %s" % ", ".join("<%s>" % t for t in to),
           "Subject: %s %s" % (subject, token),
           "Date: Sun, 22 Nov 2026 21:00:00 +0000",
           "Message-ID: <%s@%s>" % (token, sender.split("@")[-1])]
    hdr.extend(extra_headers)
    text = "\r\n".join(hdr) + "\r\n\r\n" + body
    return text.encode("utf-8")


def submit(srv, sender, rcpts, message, user=None, password=None, mail_from=None,
           mail_options=()):
    """Send message over submission (587, AUTH on loopback) with smtplib.
    Returns the {rcpt: (code, text)} refusals of sendmail (empty: all accepted)."""
    user = user or sender
    password = password or srv.users[user]
    s = smtplib.SMTP("127.0.0.1", srv.port("submission"), timeout=30)
    try:
        s.ehlo("client.example.test")
        s.login(user, password)
        refused = s.sendmail(sender if mail_from is None else mail_from, rcpts, message,
                             mail_options=list(mail_options))
        s.quit()
    finally:
        s.close()
    return refused


def inbox(srv, user, mailbox="INBOX"):
    """Every message in user's mailbox as bytes (IMAP, plaintext on loopback)."""
    m = imaplib.IMAP4("127.0.0.1", srv.port("imap"), timeout=30)
    try:
        m.login(user, srv.users[user])
        typ, data = m.select(mailbox, readonly=True)
        assert typ == "OK", data
        n = int(data[0])
        out = []
        if n:
            typ, data = m.fetch("1:%d" % n, "(BODY.PEEK[])")
            assert typ == "OK", data
            out = [d[1] for d in data if isinstance(d, tuple)]
        m.logout()
        return out
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def dsns(srv, user):
    """The messages in user's INBOX that are DSNs (multipart/report)."""
    return [parse(m) for m in inbox(srv, user)
            if parse(m).get_content_type() == "multipart/report"]


def wait_inbox(srv, user, n, timeout=30):
    return wait_for(lambda: (lambda l: l if len(l) >= n else None)(inbox(srv, user)),
                    timeout, 0.2, "%d messages in %s's INBOX" % (n, user))


def queue_list(srv):
    """The entry ids `posthorn queue list` shows ([] when it says the queue
    is empty), or None when the command fails or prints neither."""
    r = srv.cli("queue", "list", check=False)
    if r.returncode != 0:
        return None
    ids = [l.split(":", 1)[1].strip() for l in r.stdout.splitlines()
           if l.startswith("id:")]
    if ids or "queue is empty" in r.stdout:
        return ids
    return None


def wait_queue_empty(srv, timeout=30):
    """Wait until `posthorn queue list` shows no entry (if the CLI works)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lst = queue_list(srv)
        if lst is None:
            return False  # CLI not there: caller relies on other evidence
        if not lst:
            return True
        time.sleep(0.2)
    raise AssertionError("queue not empty after %ss: %r" % (timeout, queue_list(srv)))


def outbound_log(srv):
    return [l for l in srv.log().splitlines() if "outbound:" in l]


def dsn_parts(msg):
    """(human-readable text, delivery-status text, returned part or None)."""
    parts = msg.get_payload()
    assert isinstance(parts, list), "DSN is not multipart"
    human = parts[0].get_payload(decode=True).decode("utf-8", "replace")
    status = None
    returned = None
    for p in parts[1:]:
        ct = p.get_content_type()
        if ct == "message/delivery-status":
            payload = p.get_payload()
            if isinstance(payload, list):  # compat32 parses it into header blocks
                status = "\n\n".join(str(b) for b in payload)
            else:
                status = payload
        elif ct in ("message/rfc822", "text/rfc822-headers", "message/global",
                    "message/global-headers"):
            returned = p
    return human, status, returned


def kill9(srv):
    """SIGKILL the daemon and reap it (harness.stop would report an error)."""
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(30)
    srv.proc = None
    if srv.logf:
        srv.logf.close()
        srv.logf = None


# ---------------------------------------------------------------------------
# the test world shared by test_outbound*.py: addresses, zone, base class
# ---------------------------------------------------------------------------
HOSTNAME = "mail." + DOMAIN
MX1 = "127.0.0.2"        # mx1.remote.test, pref 10
PREF_LOW = "127.0.0.3"   # mx-a.pref.test, pref 10
PREF_HIGH = "127.0.0.4"  # mx-b.pref.test, pref 20
IMPLICIT = "127.0.0.5"   # implicit.test (A, no MX)
DEAD = "127.0.0.6"       # nothing ever listens here
ADDRS = [MX1, PREF_LOW, PREF_HIGH, IMPLICIT] + (["::1"] if have_ipv6_loopback() else [])


def build_zone():
    z = Zone()
    z.mx("remote.test", 10, "mx1.remote.test").a("mx1.remote.test", MX1)
    # A dead host with the best preference first: delivery falls back.
    z.mx("pref.test", 20, "mx-b.pref.test").mx("pref.test", 10, "mx-a.pref.test")
    z.a("mx-a.pref.test", PREF_LOW).a("mx-b.pref.test", PREF_HIGH)
    z.mx("deadfirst.test", 5, "dead.deadfirst.test").a("dead.deadfirst.test", DEAD)
    z.mx("deadfirst.test", 50, "mx1.remote.test")
    z.a("implicit.test", IMPLICIT)
    z.mx("v6.test", 10, "mx6.v6.test").aaaa("mx6.v6.test", "::1")
    z.mx("nullmx.test", 0, ".")
    # "nowhere.test" has no record at all: NXDOMAIN.
    return z


def token():
    return "t%d%s" % (os.getpid(), os.urandom(5).hex())


@unittest.skipUnless(have_nsd(), "nsd is not installed")
class OutboundCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nsd = Nsd(build_zone()).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.__exit__(None, None, None)

    def setUp(self):
        self.port = sink_port(ADDRS)
        self.srv = None

    def sink(self, addr=MX1, **kw):
        s = Sink(addr, self.port, **kw)
        self.addCleanup(s.close)
        return s

    def server(self, start=True, **extra):
        srv = sending_server(self.nsd, self.port, **extra)
        srv.provision()
        if start:
            srv.start()
        self.addCleanup(srv.__exit__, None, None, None)
        self.srv = srv
        return srv

    # ---- waiting, with the daemon's log on failure ----------------------------
    def diag(self):
        log = self.srv.log() if self.srv else ""
        return "\n--- posthornd log (tail) ---\n" + "\n".join(log.splitlines()[-40:])

    def wait_messages(self, sink, n, timeout=30):
        try:
            return sink.wait_messages(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_transactions(self, sink, n, timeout=30):
        try:
            return sink.wait_transactions(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_sessions(self, sink, n, timeout=30):
        try:
            return sink.wait_sessions(n, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_dsns(self, user, n=1, timeout=30):
        try:
            return wait_for(lambda: (lambda d: d if len(d) >= n else None)(
                dsns(self.srv, user)), timeout, 0.25, "%d DSN(s) for %s" % (n, user))
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None

    def wait_settled(self, timeout=30):
        """The queue is empty (when `posthorn queue list` works), then a little more."""
        try:
            wait_queue_empty(self.srv, timeout)
        except AssertionError as e:
            raise AssertionError(str(e) + self.diag()) from None
        time.sleep(1.5)  # 1 s retry schedule: a wrong extra attempt would show

    def send(self, rcpts, sender=ALICE, **kw):
        tok = token()
        msg = make_message(sender, rcpts, token=tok, **kw)
        refused = submit(self.srv, sender, rcpts, msg)
        self.assertEqual(refused, {})
        return tok, msg

    def assert_one_dsn(self, user, failed, not_failed=(), quote=None):
        """Exactly one DSN for user, naming the failed recipients (and none
        of not_failed), parsed as multipart/report; returns (msg, status text)."""
        self.wait_dsns(user)
        self.wait_settled()
        got = dsns(self.srv, user)
        self.assertEqual(len(got), 1, "expected exactly one DSN, got %d:\n%s" %
                         (len(got), "\n=====\n".join(m.as_string() for m in got)))
        dsn = got[0]
        self.assertEqual(dsn.get_param("report-type"), "delivery-status", dsn["Content-Type"])
        self.assertIn("MAILER-DAEMON@" + HOSTNAME, dsn["From"])
        self.assertIn(user, dsn["To"])
        human, status, _returned = dsn_parts(dsn)
        self.assertIsNotNone(status, "no message/delivery-status part:\n%s" % dsn.as_string())
        for r in failed:
            self.assertRegex(status, r"(?im)^Final-Recipient: *rfc822; *%s\s*$" % re.escape(r))
        self.assertRegex(status, r"(?im)^Action: *failed")
        self.assertRegex(status, r"(?im)^Status: *5\.\d{1,3}\.\d{1,3}")
        for r in not_failed:
            self.assertNotIn(r, status)
        if quote:
            self.assertIn(quote, dsn.as_string())
        return dsn, status
