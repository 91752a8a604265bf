#!/usr/bin/env python3
"""tb_check.py: the Python half of tests/clients/thunderbird.sh.

Subcommands (all talk to a running posthornd on 127.0.0.1):
  deliver SMTP_PORT RCPT TAG        put three test messages into RCPT's INBOX
                                    over plain SMTP (port 25 style), subjects
                                    "TAG 1/3" ... so a run can find them again
  subjects POP3S_PORT USER PASS CAFILE
                                    print the Subject of every message in USER's
                                    maildrop, read over POP3S (not IMAP, so a
                                    broken IMAP server cannot hide mail)
  folder IMAP_PORT USER PASS CAFILE FOLDER
                                    print the Subject of every message in FOLDER,
                                    read over IMAP with STARTTLS (imaplib)
  imap-transcript FILE              judge a Thunderbird MOZ_LOG transcript (from
                                    thunderbird_probe.sh): every tagged reply
                                    that is not OK, with its command, the folder
                                    list, the capabilities and the commands seen
  console-transcript FILE           the same for the SMTP/POP3 console log:
                                    every 4xx/5xx SMTP reply and every -ERR
  mbox-subjects FILE                the Subject lines in one of Thunderbird's
                                    local mbox files (its offline store)

It deliberately only reads and reports: the shell script decides PASS/FAIL
from what it prints. Python standard library only.
"""
import email
import email.header
import email.message
import imaplib
import poplib
import re
import smtplib
import ssl
import sys


def decode_subject(raw):
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except Exception:  # a broken encoded-word: show it as it is
        return raw


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


def cmd_deliver(port, rcpt, tag):
    msgs = []
    m = email.message.EmailMessage()
    m["From"] = "Carol Sender <carol@example.org>"
    m["To"] = rcpt
    m["Subject"] = "%s 1/3 plain ASCII" % tag
    m.set_content("A plain text message for Thunderbird to sync.\n")
    msgs.append(m)
    m = email.message.EmailMessage()
    m["From"] = "Dörte Müller <doerte@example.org>"
    m["To"] = rcpt
    m["Subject"] = "%s 2/3 Grüße aus Köln" % tag
    m.set_content("Schöne Grüße, 8bit UTF-8 body: äöü ß €.\n", cte="8bit")
    msgs.append(m)
    m = email.message.EmailMessage()
    m["From"] = "Carol Sender <carol@example.org>"
    m["To"] = rcpt
    m["Subject"] = "%s 3/3 with attachment" % tag
    m.set_content("See the attached file.\n")
    m.add_attachment(b"col1,col2\n1,2\n", maintype="text", subtype="csv",
                     filename="data.csv")
    msgs.append(m)
    with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as s:
        s.ehlo("seed.example.org")
        for m in msgs:
            s.send_message(m, from_addr="carol@example.org", to_addrs=[rcpt])
    print("delivered %d messages to %s" % (len(msgs), rcpt))


def cmd_subjects(port, user, pw, cafile):
    p = poplib.POP3_SSL("127.0.0.1", int(port), context=tls_context(cafile),
                        timeout=30)
    try:
        p.user(user)
        p.pass_(pw)
        count = p.stat()[0]
        for i in range(1, count + 1):
            _, lines, _ = p.top(i, 0)
            msg = email.message_from_bytes(b"\r\n".join(lines))
            print(decode_subject(msg.get("Subject", "")))
    finally:
        p.quit()


def cmd_folder(port, user, pw, cafile, folder):
    im = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    try:
        im.starttls(tls_context(cafile))
        im.login(user, pw)
        typ, _ = im.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            print("SELECT %s failed" % folder, file=sys.stderr)
            return 1
        typ, data = im.uid("FETCH", "1:*",
                           "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if isinstance(item, tuple):
                msg = email.message_from_bytes(item[1])
                print(decode_subject(msg.get("Subject", "")))
    finally:
        try:
            im.logout()
        except Exception:
            pass
    return 0


# "HH:MM:SS.mmm STATE C: 12 list ..." / "... S: 12 OK ..." (see the probe)
TX = re.compile(r"^(\S+) (\S+) ([CS]): ?(.*)$")


def cmd_imap_transcript(path):
    pending = {}     # (conn, tag) -> command
    problems, folders, caps, verbs = [], set(), set(), {}
    conn = ""
    auth_ok = 0
    in_literal = False   # client lines of an APPEND literal are not commands
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("==== connection"):
                conn = line.split()[2]
                continue
            m = TX.match(line)
            if not m:
                continue
            _, _, who, data = m.groups()
            if who == "C":
                if in_literal:
                    continue
                in_literal = re.search(r"\{\d+\+?\}$", data) is not None
                parts = data.split(" ", 2)
                if len(parts) >= 2 and not data.startswith("Logging suppressed"):
                    pending[(conn, parts[0])] = data
                    verb = parts[1].upper()
                    if verb == "UID" and len(parts) > 2:
                        verb += " " + parts[2].split(" ", 1)[0].upper()
                    verbs[verb] = verbs.get(verb, 0) + 1
                continue
            in_literal = False
            lm = re.match(r"\* LIST \(([^)]*)\) (\S+) (.+)$", data, re.I)
            if lm:
                folders.add((lm.group(3).strip('"'), lm.group(1)))
            cm = re.search(r"CAPABILITY ([^\]]*)", data)
            if cm:
                caps.update(cm.group(1).split())
            if data.startswith("* BAD") or data.startswith("* NO") or \
                    data.startswith("* BYE"):
                problems.append("conn %s: untagged: %s" % (conn, data))
                continue
            tm = re.match(r"(\S+) (OK|NO|BAD)\b(.*)$", data)
            if tm and tm.group(1) not in ("*", "+"):
                cmd = pending.pop((conn, tm.group(1)), "?")
                if cmd.lower().startswith(tm.group(1) + " authenticate") or \
                        cmd.lower().startswith(tm.group(1) + " login"):
                    if tm.group(2) == "OK":
                        auth_ok += 1
                if tm.group(2) != "OK":
                    problems.append("conn %s: C: %s\n      S: %s" % (conn, cmd, data))
    print("logins: %d" % auth_ok)
    print("folders: %s" % ", ".join("%s(%s)" % x for x in sorted(folders)))
    print("capabilities: %s" % " ".join(sorted(caps)))
    print("commands: %s" % ", ".join("%s x%d" % kv for kv in sorted(verbs.items())))
    print("unanswered: %d" % len(pending))
    for (c, tag), cmd in pending.items():
        print("  conn %s: %s" % (c, cmd))
    print("problems: %d" % len(problems))
    for p in problems:
        print("  " + p)


def cmd_console_transcript(path):
    problems, lines = [], 0
    smtp_reply = re.compile(r"\bS: ([45]\d\d)[ -]")
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            lines += 1
            if smtp_reply.search(line) or "-ERR" in line or \
                    re.search(r"\b(Error|error|failed)\b", line):
                problems.append(line)
    print("lines: %d" % lines)
    print("problems: %d" % len(problems))
    for p in problems:
        print("  " + p)


def cmd_mbox_subjects(path):
    with open(path, "rb") as f:
        data = f.read()
    # Thunderbird's mbox: messages start at "From " lines
    for chunk in re.split(rb"(?m)^From .*\r?\n", data):
        if not chunk.strip():
            continue
        msg = email.message_from_bytes(chunk)
        if msg.get("Subject") is not None:
            print(decode_subject(msg["Subject"]))


def main(argv):
    cmds = {
        "deliver": (cmd_deliver, 3),
        "subjects": (cmd_subjects, 4),
        "folder": (cmd_folder, 5),
        "imap-transcript": (cmd_imap_transcript, 1),
        "console-transcript": (cmd_console_transcript, 1),
        "mbox-subjects": (cmd_mbox_subjects, 1),
    }
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    fn, _ = cmds[argv[1]]
    return fn(*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
