/*
 * imap_parser.h: the incremental IMAP command parser (RFC 3501 section 9,
 * RFC 7888 LITERAL+/LITERAL-, RFC 3516 literal8).
 *
 * It takes bytes from a libevent buffer, however they were split, and
 * keeps its position between calls. A command is gathered line by line:
 * a line that ends with a literal marker {n}, {n+} or ~{n} (outside a
 * quoted string) is followed by exactly n bytes of literal. The size is
 * checked against the limits *before* the caller is told to send the `+ `
 * continuation, so an overlong literal is never buffered: a synchronizing
 * one is refused at once, a non-synchronizing one is read and thrown away
 * (or the connection is closed when that is not reasonable). Once the last
 * line is in, the whole command is parsed into an imap_arg tree.
 *
 * It deliberately knows no command semantics except one: APPEND's literal
 * (the message) may be as large as the APPENDLIMIT, every other literal is
 * small. It does not write to the connection; the session does.
 */
#ifndef POSTHORN_IMAP_PARSER_H
#define POSTHORN_IMAP_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "imap.h"

struct evbuffer;
struct imap_parser;

struct imap_parser_limits {
	size_t		 line_max;	/* one line, CRLF excluded */
	size_t		 command_max;	/* a whole command (literals included) but APPEND's */
	size_t		 literal_max;	/* one literal outside APPEND */
	uint64_t	 append_max;	/* one literal of APPEND (APPENDLIMIT) */
	int		 preauth;	/* not logged in: RFC 7888 LITERAL- rules, tight limits */
};

enum imap_parse_status {
	IMAP_PARSE_MORE = 0,	/* need more input */
	IMAP_PARSE_COMMAND,	/* a complete command: imap_parser_take() */
	IMAP_PARSE_CONTINUE,	/* a synchronizing literal is welcome: send "+ ..." */
	IMAP_PARSE_ERROR	/* imap_parser_error(); the parser is ready for the next command */
};

struct imap_parse_error {
	char		 tag[IMAP_TAG_MAX + 1];	/* "*" when no valid tag was read */
	const char	*status;	/* "BAD" or "NO" */
	const char	*code;		/* "TOOBIG" or NULL */
	const char	*text;
	int		 fatal;		/* the rest of the input cannot be trusted: close */
};

struct imap_parser *imap_parser_new(void);
void	 imap_parser_free(struct imap_parser **p);
void	 imap_parser_set_limits(struct imap_parser *p, const struct imap_parser_limits *lim);
/* Defaults for a session (tests use them too). */
void	 imap_parser_limits_default(struct imap_parser_limits *lim, int preauth,
	    uint64_t append_max);

/*
 * Consume input from in. Returns at the first event: a command is
 * complete, a continuation is due, an error was found, or all input is
 * used up. Call again after handling the event (more input may be
 * buffered). After IMAP_PARSE_ERROR with fatal set, stop reading.
 */
enum imap_parse_status imap_parser_read(struct imap_parser *p, struct evbuffer *in);

/*
 * Move the complete command into cmd: tag, name (upper-cased; "UID" is
 * folded into cmd->uid), args. The memory is freed by imap_cmd_free_args().
 */
void	 imap_parser_take(struct imap_parser *p, struct imap_cmd *cmd);
const struct imap_parse_error *imap_parser_error(const struct imap_parser *p);
/* 1 while in the middle of a command (some of it buffered). */
int	 imap_parser_busy(const struct imap_parser *p);

/* Free what imap_parser_take() put into cmd (args, literals). */
void	 imap_cmd_free_args(struct imap_cmd *cmd);

/*
 * Parse one complete command text (literals inline as "{n}\r\n" + bytes),
 * for tests and the fuzzer: fills cmd, or returns -1 with *why_r.
 */
int	 imap_parse_command_text(const char *text, size_t len, struct imap_cmd *cmd,
	    const char **why_r);

#endif
