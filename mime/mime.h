/*
 * mime.h: RFC 5322 / MIME message structure for IMAP (libmime.a).
 *
 * What IMAP needs from a message, computed from its raw bytes:
 *  - the part tree (mime_parse): byte offsets of every part's header and
 *    body, its Content-* fields, multipart children and encapsulated
 *    message/rfc822 messages;
 *  - the FETCH renderings: ENVELOPE, BODY, BODYSTRUCTURE (RFC 3501 7.4.2,
 *    RFC 9051 7.5.2), ready-made IMAP syntax;
 *  - BODY[section] locations (RFC 3501 6.4.5), HEADER.FIELDS filtering,
 *    BINARY decoding (RFC 3516);
 *  - SEARCH support: decoded header values (RFC 2047), decoded and
 *    UTF-8-converted body text, case-insensitive matching, Date parsing;
 *  - the per-blob cache (mime_cache_*): the renderings and the part
 *    offsets serialized once at delivery so FETCH never re-parses.
 *
 * Depends only on common/ (xmalloc & co) and iconv. Knows nothing of the
 * store or of sessions. Every function is pure and thread-safe (iconv
 * descriptors are opened per call).
 *
 * Input is untrusted: no function fails on malformed mail. Bad or
 * missing fields fall back to the RFC defaults (text/plain;
 * charset=us-ascii, 7bit); structure is bounded by MIME_MAX_DEPTH and
 * MIME_MAX_PARTS (beyond them content is treated as opaque leaf data);
 * work is linear in the message size (times the nesting depth at most).
 *
 * Line endings: CRLF and bare LF are both accepted everywhere. Offsets,
 * sizes and line counts are of the bytes as given (no LF->CRLF
 * conversion), so they agree with the literals the server sends.
 *
 * Strings returned as char * are NUL-terminated, malloc'ed (free()),
 * unless stated otherwise.
 */
#ifndef POSTHORN_MIME_H
#define POSTHORN_MIME_H

#include <stddef.h>
#include <stdint.h>

#define MIME_MAX_DEPTH		50	/* nesting of multipart/message parts */
#define MIME_MAX_PARTS		10000	/* parts in one message, all levels */
#define MIME_MAX_PARAMS		64	/* parameters kept per Content-* field */
#define MIME_MAX_FIELD_VALUE	65536	/* bytes of a Content-* value parsed */

/* ------------------------------------------------------------------ */
/* Part tree                                                            */

enum mime_encoding {
	MIME_ENC_7BIT = 0,	/* also when Content-Transfer-Encoding is absent */
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,		/* quoted-printable */
	MIME_ENC_UNKNOWN	/* anything else: BINARY answers [UNKNOWN-CTE] */
};

enum mime_kind {
	MIME_KIND_BASIC = 0,	/* leaf, non-text (application/pdf, image/png...) */
	MIME_KIND_TEXT,		/* leaf, type "text": BODY gets a line count */
	MIME_KIND_MULTIPART,	/* multipart with a boundary: children are the parts */
	MIME_KIND_MESSAGE	/* message/rfc822 or message/global with identity
				   encoding: exactly one child, the encapsulated
				   message (its header is the message header) */
};

struct mime_param {
	char	*name;		/* as written; RFC 2231 extended values keep a
				   trailing '*' ("title*") */
	char	*value;		/* unquoted; RFC 2231 continuations joined. For
				   "name*" it stays charset'lang'%XX-encoded, as
				   Dovecot sends it in BODYSTRUCTURE */
};

struct mime_part {
	/* Tree. The root is the message itself. */
	struct mime_part *parent;
	struct mime_part *children;	/* first child (multipart parts, or
					   the one encapsulated message) */
	struct mime_part *next;		/* next sibling */
	unsigned int	 nchildren;
	unsigned int	 depth;		/* root 0 */
	enum mime_kind	 kind;

	/* Where the part is, as offsets into the message bytes. */
	size_t		 hdr_off;	/* header (the MIME header of a body
					   part, the RFC 5322 header of a
					   message) ... */
	size_t		 hdr_len;	/* ... including the blank line ending it */
	size_t		 body_off;
	size_t		 body_len;	/* encoded size (BODYSTRUCTURE size);
					   the CRLF before a boundary line is
					   not part of the body (RFC 2046 5.1.1) */
	size_t		 body_lines;	/* LF count in the body */

	/* Content-Type (RFC 2045 5). Never NULL: defaults applied, i.e.
	 * "text"/"plain" (or "message"/"rfc822" inside multipart/digest)
	 * when the field is absent or unparsable; has_content_type says so. */
	char		*type;		/* as written ("TEXT" stays "TEXT") */
	char		*subtype;
	int		 has_content_type;
	struct mime_param *params;
	unsigned int	 nparams;

	/* Other MIME fields: NULL when absent; values unfolded and trimmed,
	 * RFC 2047 words left encoded (IMAP sends them raw). */
	char		*id;		/* Content-ID */
	char		*description;	/* Content-Description */
	char		*encoding_name;	/* Content-Transfer-Encoding as written */
	enum mime_encoding encoding;
	char		*md5;		/* Content-MD5 */
	char		*disposition;	/* Content-Disposition type (RFC 2183) */
	struct mime_param *disp_params;
	unsigned int	 ndisp_params;
	char		**languages;	/* Content-Language tags (RFC 3282) */
	unsigned int	 nlanguages;
	char		*location;	/* Content-Location (RFC 2557) */
};

/*
 * Parse msg[0..len) into a part tree. Never fails on bad input (returns 0
 * and a tree describing what could be understood); returns -1 only when
 * len is absurd (> SIZE_MAX / 2). msg must stay valid and unchanged
 * while the offsets are used; the tree does not point into it.
 * Multipart: the preamble and epilogue belong to no part; a missing
 * close-delimiter ends the last part at the end of its parent; boundary
 * lines match exactly ("--" boundary ["--"] [whitespace] EOL), innermost
 * boundary first, and an outer boundary also ends inner parts. A
 * multipart without a boundary parameter, a message/rfc822 part with a
 * non-identity encoding, and any multipart or message part past
 * MIME_MAX_DEPTH / MIME_MAX_PARTS are opaque leaves (MIME_KIND_BASIC;
 * BODYSTRUCTURE shows them as basic parts, as Dovecot does).
 */
int	 mime_parse(const char *msg, size_t len, struct mime_part **root_r);
/* Free the tree and set *root to NULL (NULL-safe). */
void	 mime_free(struct mime_part **root);

/* Parameter value by name (ASCII case-insensitive, exact name, so
 * "title" does not find "title*"); NULL when absent. */
const char *mime_param_get(const struct mime_param *params, unsigned int n,
	    const char *name);
/*
 * Parameter value decoded to UTF-8: "name*" (RFC 2231 charset'lang'%XX)
 * is preferred over "name"; a plain value that holds RFC 2047 words
 * (common for filenames) is decoded too. NULL when absent.
 */
char	*mime_param_get_utf8(const struct mime_param *params, unsigned int n,
	    const char *name);

/*
 * The part a numeric part specifier names ("1", "2.3"; "" = the root),
 * with the RFC 3501 6.4.5 rules: the parts of a message/rfc822 part are
 * those of its encapsulated message, and a non-multipart message (or
 * encapsulated message) has exactly part 1: itself. NULL when there is
 * no such part or the syntax is bad.
 */
const struct mime_part *mime_part_find(const struct mime_part *root,
	    const char *partnum);

/* ------------------------------------------------------------------ */
/* FETCH renderings (IMAP syntax, ready to send after "ENVELOPE " etc.) */

/*
 * ENVELOPE of a message: p is the root or the child of a MIME_KIND_MESSAGE
 * part; only its header is read. "(date subject from sender reply-to to
 * cc bcc in-reply-to message-id)" per RFC 3501 7.4.2: sender and reply-to
 * default to from; address lists as ((name adl mailbox host) ...) with
 * groups as (NIL NIL "group" NIL) ... (NIL NIL NIL NIL); NIL for absent
 * fields and empty lists. Values are unfolded (CR/LF removed) and sent raw
 * (encoded words stay encoded); strings are quoted, or literals when they
 * hold 8-bit bytes.
 */
char	*mime_envelope(const struct mime_part *p, const char *msg);
/* The same from a bare header block (hdr[0..hdrlen), blank line optional). */
char	*mime_envelope_from_header(const char *hdr, size_t hdrlen);

/*
 * BODY (extended = 0) or BODYSTRUCTURE (extended = 1) of the tree under
 * p (normally the root), per RFC 3501 7.4.2 / RFC 9051 7.5.2, as Dovecot
 * renders it: text parts get their line count, a text part without a
 * charset parameter gets ("charset" "us-ascii"), message/rfc822 parts
 * their envelope, BODY and line count; extension data (BODYSTRUCTURE
 * only) is always complete: md5 dsp lang loc for leaves, params dsp lang
 * loc for multiparts. A multipart without parts renders one empty
 * text/plain part (the grammar needs one).
 */
char	*mime_bodystructure(const struct mime_part *p, const char *msg,
	    int extended);

/* ------------------------------------------------------------------ */
/* BODY[section] (RFC 3501 6.4.5)                                        */

#define MIME_SECTION_NOTFOUND	(-1)	/* valid spec, no such part: Dovecot
					   sends an empty string (or NIL) */
#define MIME_SECTION_BAD	(-2)	/* bad syntax: answer BAD */

enum mime_section_what {
	MIME_SECTION_ALL = 0,	/* "" or "1.2": whole message / part body */
	MIME_SECTION_HEADER,	/* [part.]HEADER */
	MIME_SECTION_HEADER_FIELDS,	/* [part.]HEADER.FIELDS: caller filters */
	MIME_SECTION_HEADER_FIELDS_NOT,	/* [part.]HEADER.FIELDS.NOT */
	MIME_SECTION_TEXT,	/* [part.]TEXT */
	MIME_SECTION_MIME	/* part.MIME: the part's own MIME header */
};

/*
 * Locate a section: spec is the text between '[' and ']' without the
 * field list, case-insensitive: "", "HEADER", "TEXT", "1", "1.2",
 * "1.2.HEADER", "1.2.TEXT", "1.MIME", "HEADER.FIELDS",
 * "2.HEADER.FIELDS.NOT". Sets *off_r and *len_r to the bytes of msg to send
 * (for HEADER.FIELDS[.NOT]: the header block to pass to
 * mime_header_fields) and *what_r (may be NULL). HEADER/TEXT after part
 * numbers apply to the encapsulated message of a message/rfc822 part (on
 * another part they give its own header/body, leniently). HEADER
 * includes the blank line. Returns 0, MIME_SECTION_NOTFOUND or
 * MIME_SECTION_BAD (also for "MIME" without a part number and part
 * numbers of 0 or with leading zeros).
 */
int	 mime_section_find(const struct mime_part *root, const char *spec,
	    size_t *off_r, size_t *len_r, enum mime_section_what *what_r);

/*
 * HEADER.FIELDS (not = 0) / HEADER.FIELDS.NOT (not = 1): the raw header
 * lines of hdr[0..hdrlen) whose field names match (ASCII
 * case-insensitive) one of fields[0..nfields), in message order, folded
 * continuation lines kept whole, then the terminating blank line "\r\n"
 * (always, like Dovecot). Returns a malloc'ed buffer of *len_r bytes
 * (NUL-terminated too). The blank line of hdr itself is never copied.
 */
char	*mime_header_fields(const char *hdr, size_t hdrlen,
	    const char *const *fields, size_t nfields, int not, size_t *len_r);

/* ------------------------------------------------------------------ */
/* Header access                                                        */

struct mime_header_field {
	const char	*name;		/* points into the header */
	size_t		 name_len;
	const char	*value;		/* raw value after the colon and
					   leading whitespace, folding kept,
					   final line ending excluded */
	size_t		 value_len;
	const char	*line;		/* whole field incl. continuation lines */
	size_t		 line_len;	/* and the final line ending */
};

struct mime_header_iter {
	const char	*pos;
	const char	*end;
};

/* Iterate over the fields of hdr[0..hdrlen); stops at the blank line.
 * Lines without a colon or with a bad field name are skipped. */
void	 mime_header_iter_init(struct mime_header_iter *it, const char *hdr,
	    size_t hdrlen);
/* 1 and fills *f, or 0 at the end. */
int	 mime_header_next(struct mime_header_iter *it,
	    struct mime_header_field *f);
/*
 * First field named name (case-insensitive): 1 and *f filled, 0 if
 * absent.
 */
int	 mime_header_get(const char *hdr, size_t hdrlen, const char *name,
	    struct mime_header_field *f);
/* Raw value unfolded: CR and LF removed, surrounding whitespace trimmed. */
char	*mime_header_unfold(const char *value, size_t len);

/* ------------------------------------------------------------------ */
/* Decoding                                                             */

/* Base64 (RFC 2045 6.8): ignores characters outside the alphabet, stops
 * at '='; never fails. Returns malloc'ed bytes (+ NUL), length in *len_r. */
char	*mime_decode_base64(const char *in, size_t len, size_t *len_r);
/* Quoted-printable (RFC 2045 6.7): soft line breaks removed, bad escapes
 * kept literally, trailing whitespace before line ends dropped. */
char	*mime_decode_qp(const char *in, size_t len, size_t *len_r);
/*
 * BINARY[part] (RFC 3516): the part's body with its
 * Content-Transfer-Encoding removed (7bit/8bit/binary: unchanged bytes).
 * Returns 0 with *out_r malloc'ed (*len_r bytes), or -1 for an unknown
 * encoding (answer NO [UNKNOWN-CTE]).
 */
int	 mime_decode_part(const struct mime_part *p, const char *msg,
	    char **out_r, size_t *len_r);

/*
 * Convert in[0..len) from charset to UTF-8 (iconv). Unknown charsets and
 * invalid sequences never fail: bytes that are not valid UTF-8 become
 * U+FFFD. charset NULL or "" means us-ascii/UTF-8 passthrough.
 */
char	*mime_charset_to_utf8(const char *charset, const char *in, size_t len,
	    size_t *len_r);
/*
 * A header value for display/search: unfolded, RFC 2047 encoded words
 * (B and Q, any charset iconv knows, RFC 2231 "*lang" suffix ignored)
 * decoded to UTF-8, whitespace between adjacent encoded words dropped;
 * raw 8-bit text taken as UTF-8 (invalid bytes -> U+FFFD).
 */
char	*mime_decode_header_value(const char *raw, size_t len);

/* ------------------------------------------------------------------ */
/* SEARCH support                                                       */

enum mime_search_where {
	MIME_SEARCH_HEADER = 0,	/* all top-level header fields, decoded */
	MIME_SEARCH_BODY,	/* decoded text of the body parts */
	MIME_SEARCH_TEXT	/* HEADER + BODY (+ MIME headers of parts) */
};

/*
 * Case-insensitive UTF-8 substring search (SEARCH BODY/TEXT): 1 when the
 * decoded text contains needle_utf8, 0 otherwise. Bodies of text/... parts
 * (and of parts without Content-Type) are transfer-decoded (base64/QP)
 * and converted from their charset to UTF-8; encapsulated messages are
 * searched too (their header counts as body text); non-text leaves are
 * skipped. Folding: simple (1:1) lower-casing from a locale-independent
 * table (mime_fold.c): exact for ASCII, Latin-1, Latin Extended-A and
 * Additional, Greek, Cyrillic, fullwidth Latin; no normalization.
 * An empty needle matches every message.
 */
int	 mime_search_text(const char *msg, size_t len,
	    const struct mime_part *root, enum mime_search_where where,
	    const char *needle_utf8);
/*
 * SEARCH HEADER name / FROM / TO / CC / BCC / SUBJECT: 1 when some field
 * of hdr named name has a decoded value (mime_decode_header_value)
 * containing needle_utf8 case-insensitively; an empty needle matches when
 * the field exists (RFC 3501 6.4.4).
 */
int	 mime_search_header(const char *hdr, size_t hdrlen, const char *name,
	    const char *needle_utf8);
/* Case-folded copy of UTF-8 text (what the matchers compare). */
char	*mime_utf8_fold(const char *s, size_t len, size_t *len_r);
/* 1 when folded haystack contains folded needle (both from mime_utf8_fold). */
int	 mime_folded_contains(const char *hay, size_t haylen,
	    const char *needle, size_t needlelen);

/*
 * Parse an RFC 5322 date-time (3.3, with the obsolete forms of 4.3:
 * optional day name, 2/3-digit years, missing seconds, military and
 * named zones like "EST", comments). *t_r = seconds since the epoch
 * (UTC), *tz_min_r = the zone offset in minutes (+0100 -> 60), for
 * SENTON's "date in the message's own zone". Returns 0 or -1.
 */
int	 mime_parse_date(const char *value, size_t len, int64_t *t_r,
	    int *tz_min_r);

/* ------------------------------------------------------------------ */
/* Per-blob cache                                                       */

#define MIME_CACHE_VERSION	1

/*
 * Serialize what FETCH needs (ENVELOPE, BODY, BODYSTRUCTURE, header
 * length, message length, the part tree's offsets/types/encodings) into
 * an opaque byte string starting with a magic and MIME_CACHE_VERSION.
 * Parses msg itself. Returns 0 (cannot fail but for absurd len: -1).
 */
int	 mime_cache_build(const char *msg, size_t len, char **cache_r,
	    size_t *cache_len_r);

struct mime_cache_view {
	/* NUL-terminated, pointing into the cache bytes (keep them alive) */
	const char	*envelope;
	const char	*body;		/* BODY */
	const char	*bodystructure;	/* BODYSTRUCTURE */
	uint64_t	 msg_len;	/* length of the message it was built for */
	uint64_t	 header_len;	/* top-level header incl. blank line */
	/*
	 * Owned by the view: a part tree with offsets, kind, type, subtype,
	 * encoding and the charset parameter (params has at most that one);
	 * enough for mime_section_find, mime_part_find, mime_decode_part.
	 * Not enough for mime_bodystructure (use the strings above).
	 */
	struct mime_part *root;
};

/*
 * Read a cache back. The bytes come from disk: everything is
 * bounds-checked, and a bad magic, an old/new version, truncation or any
 * inconsistency (offsets past msg_len, too many parts) returns -1 so the
 * caller re-parses (and may rebuild the cache). The caller should also
 * compare v->msg_len with the blob's length. 0 on success; then call
 * mime_cache_close.
 */
int	 mime_cache_open(const char *cache, size_t len,
	    struct mime_cache_view *v);
void	 mime_cache_close(struct mime_cache_view *v);

/* ------------------------------------------------------------------ */
/* IMAP string rendering (shared with imapd's FETCH code)              */

/* A growable byte buffer; always NUL-terminated after the first add. */
struct mime_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

void	 mime_buf_init(struct mime_buf *b);
void	 mime_buf_add(struct mime_buf *b, const void *p, size_t n);
void	 mime_buf_adds(struct mime_buf *b, const char *s);
void	 mime_buf_addc(struct mime_buf *b, char c);
void	 mime_buf_addf(struct mime_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Return the malloc'ed NUL-terminated contents ("" when empty) and reset b. */
char	*mime_buf_steal(struct mime_buf *b);
void	 mime_buf_free(struct mime_buf *b);

/*
 * Append s[0..len) as an IMAP string: a quoted string ("..." with \\ and
 * \" escaped) when every byte is 0x01-0x7F except CR and LF, else a
 * literal "{n}\r\n" + bytes. NUL bytes are dropped (a literal cannot
 * carry them; RFC 3501 9 "CHAR8").
 */
void	 mime_imap_string(struct mime_buf *b, const char *s, size_t len);
/* The same, or NIL when s is NULL. */
void	 mime_imap_nstring(struct mime_buf *b, const char *s, size_t len);
/* Convenience for NUL-terminated (or NULL) strings. */
void	 mime_imap_nstr(struct mime_buf *b, const char *s);

#endif
