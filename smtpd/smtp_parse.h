/*
 * smtp_parse.h: the SMTP command parser (RFC 5321 section 4.1, with the
 * ESMTP parameters of RFC 1652, RFC 1870, RFC 3030 and RFC 6531).
 *
 * Pure functions over one command line that the line reader has already cut
 * and bounded: no I/O, no allocation, no store, no session state. The session
 * (smtp_session.c) decides what a parse result means in its current state;
 * the fuzz target tests/fuzz/fuzz_smtp_parse.c and the unit tests in
 * tests/unit/check_smtp_parse.c call these functions directly.
 */
#ifndef POSTHORN_SMTP_PARSE_H
#define POSTHORN_SMTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 section 4.5.3.1 size limits, in octets. */
#define SMTP_LOCAL_MAX		64	/* local-part (4.5.3.1.1) */
#define SMTP_DOMAIN_MAX		255	/* domain (4.5.3.1.2) */
#define SMTP_PATH_MAX		256	/* reverse/forward path incl. <> (4.5.3.1.3) */
/* local "@" domain, canonical, NUL-terminated; never longer than the path. */
#define SMTP_ADDR_MAX		SMTP_PATH_MAX
/* An EHLO/HELO argument we keep (longer ones are truncated, not refused). */
#define SMTP_HELO_MAX		255

enum smtp_verb {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,	/* RFC 3207 (smtp_commands.c) */
	SMTP_CMD_AUTH,		/* RFC 4954 (smtp_auth.c) */
	SMTP_CMD_COUNT
};

/* Parse results. 0 is success; each error maps to one reply in the session. */
#define SMTP_PARSE_OK		0
#define SMTP_PARSE_EBYTES	(-1)	/* NUL, CR or control byte in the line: 500 5.5.2 */
#define SMTP_PARSE_ESYNTAX	(-2)	/* bad command arguments: 501 5.5.4 */
#define SMTP_PARSE_EADDR	(-3)	/* bad address syntax: 501 5.1.7 / 5.1.3 */
#define SMTP_PARSE_ETOOLONG	(-4)	/* path, local part or domain too long: 501 */
#define SMTP_PARSE_EPARAM	(-5)	/* unknown or unsupported parameter: 555 5.5.4 */
#define SMTP_PARSE_EPARAMVAL	(-6)	/* bad or repeated parameter value: 501 5.5.4 */
#define SMTP_PARSE_EUTF8	(-7)	/* non-ASCII address without SMTPUTF8: 553 5.6.7 */

struct smtp_command {
	enum smtp_verb	 verb;
	const char	*name;		/* the verb as sent (not terminated: name_len) */
	size_t		 name_len;
	const char	*args;		/* points into the line, NUL-terminated; "" when none */
	size_t		 args_len;
};

/*
 * Split a command line (without CRLF, len bytes, NUL-terminated at len) into
 * verb and arguments. The verb is matched case-insensitively and ends at the
 * first space; spaces around the arguments are skipped and trailing spaces
 * cut off (the line is modified: a NUL replaces the first trailing space).
 * Returns SMTP_PARSE_OK (verb may be SMTP_CMD_UNKNOWN) or SMTP_PARSE_EBYTES
 * when the line holds a NUL, a CR or another control byte (TAB is allowed).
 */
int	 smtp_parse_command(char *line, size_t len, struct smtp_command *cmd_r);

/* The canonical upper-case name of a verb ("MAIL"), for logs and tables. */
const char *smtp_verb_name(enum smtp_verb verb);

/* A reverse-path or forward-path. */
struct smtp_path {
	int	 null;			/* "<>" (reverse-path only) */
	int	 postmaster;		/* "<Postmaster>" without domain (RCPT, 4.5.1) */
	int	 utf8;			/* non-ASCII octets in the address (RFC 6531) */
	char	 local[SMTP_LOCAL_MAX + 3];	/* canonical local part */
	char	 domain[SMTP_DOMAIN_MAX + 1];	/* as sent: name or [literal] */
	char	 addr[SMTP_ADDR_MAX];	/* local@domain; "" for null; "postmaster" */
};

/*
 * The canonical local part: a quoted local part whose content is a valid
 * dot-string loses its quotes ("john.doe" -> john.doe); any other quoted
 * local part is kept quoted with only '"' and '\' escaped. So one mailbox
 * has one spelling for the store and the logs. Source routes (<@a,@b:x@y>)
 * are accepted and ignored (RFC 5321 4.1.2, C.6).
 */

enum smtp_body {
	SMTP_BODY_NONE = 0,	/* no BODY parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME
};

struct smtp_mail_args {
	struct smtp_path path;
	int		 has_size;
	uint64_t	 size;		/* SIZE=n; UINT64_MAX when n overflows */
	enum smtp_body	 body;
	int		 smtputf8;	/* SMTPUTF8 parameter */
};

/*
 * Parse the arguments of MAIL ("FROM:<path> [params]"). One space after the
 * colon is tolerated (common client bug). Parameters: SIZE=n (RFC 1870),
 * BODY=7BIT|8BITMIME|BINARYMIME (RFC 1652, RFC 3030), SMTPUTF8 (RFC 6531);
 * anything else is SMTP_PARSE_EPARAM. A non-ASCII path needs SMTPUTF8.
 * On error *err_r is a short human-readable reason.
 */
int	 smtp_parse_mail(const char *args, struct smtp_mail_args *r,
	    const char **err_r);

/*
 * Parse the arguments of RCPT ("TO:<path>"). smtputf8 says whether the
 * transaction's MAIL carried SMTPUTF8 (else a non-ASCII path is
 * SMTP_PARSE_EUTF8). We offer no RCPT parameters (no DSN), so any is
 * SMTP_PARSE_EPARAM. The null path is refused; <Postmaster> is accepted.
 */
int	 smtp_parse_rcpt(const char *args, int smtputf8, struct smtp_path *r,
	    const char **err_r);

/*
 * Parse the arguments of BDAT ("chunk-size [LAST]", RFC 3030 section 3).
 * The size is at most 20 digits and must fit in 64 bits.
 */
int	 smtp_parse_bdat(const char *args, uint64_t *size_r, int *last_r);

/*
 * Copy an EHLO/HELO argument for the Received header: at most
 * SMTP_HELO_MAX bytes; every byte that is not a letter, digit or one of
 * ".-_:[]" becomes '?', so a client cannot forge header syntax (comments,
 * semicolons) or smuggle non-ASCII. dst must hold SMTP_HELO_MAX + 1 bytes.
 * Any non-empty argument is accepted: Thunderbird sends "[127.0.0.1]",
 * curl a file name.
 */
void	 smtp_helo_sanitize(char *dst, const char *src, size_t len);

/* 1 when s (len bytes) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
int	 smtp_utf8_valid(const char *s, size_t len);

#endif
