/*
 * config.h: posthorn.conf, the one configuration file shared by posthornd and
 * the posthorn CLI.
 *
 * Syntax: "key = value" lines; '#' at the start of a line or after
 * whitespace starts a comment; blank lines are ignored.
 * Unknown keys and bad values are errors reported as "FILE:LINE: reason".
 * The keys of the interface contract (DESIGN.md section 3) are all accepted;
 * the rest are limits with safe defaults. A listen_* value is a comma or
 * space separated list of addresses ("0.0.0.0:25, [::]:25") or "none".
 */
#ifndef POSTHORN_CONFIG_H
#define POSTHORN_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LISTEN	8	/* addresses per listen_* key */
#define CONFIG_ADDR_MAX		64	/* "[ipv6]:port" */
#define CONFIG_PATH_MAX		1024
#define CONFIG_HOST_MAX		256

enum listen_kind {
	LISTEN_SMTP = 0,	/* inbound MX, port 25 */
	LISTEN_SUBMISSION,	/* 587, STARTTLS + AUTH (issue: TLS) */
	LISTEN_SUBMISSIONS,	/* 465, implicit TLS */
	LISTEN_POP3,		/* 110 */
	LISTEN_POP3S,		/* 995 */
	LISTEN_IMAP,		/* 143 */
	LISTEN_IMAPS,		/* 993 */
	LISTEN_KIND_COUNT
};

enum plaintext_auth {
	PLAINTEXT_AUTH_LOOPBACK = 0,	/* only on loopback connections (default) */
	PLAINTEXT_AUTH_NEVER,
	PLAINTEXT_AUTH_ALWAYS
};

enum outbound_tls {
	OUTBOUND_TLS_MAY = 0,	/* STARTTLS when offered, unverified (RFC 7435); plaintext if it fails */
	OUTBOUND_TLS_ENCRYPT,	/* STARTTLS required, unverified: no TLS is a temporary failure */
	OUTBOUND_TLS_NONE	/* never */
};

enum relayhost_tls {
	RELAYHOST_TLS_AUTO = 0,	/* implicit TLS on port 465, STARTTLS (required) otherwise */
	RELAYHOST_TLS_STARTTLS,
	RELAYHOST_TLS_IMPLICIT,
	RELAYHOST_TLS_NONE	/* plaintext: only for a relay on loopback/LAN */
};

#define CONFIG_RETRY_MAX	16	/* entries of queue_retry_schedule */

struct config {
	char		 hostname[CONFIG_HOST_MAX];
	char		 data_dir[CONFIG_PATH_MAX];
	char		 user[64];		/* "" = do not drop privileges */
	char		 tls_cert[CONFIG_PATH_MAX];
	char		 tls_key[CONFIG_PATH_MAX];
	char		 listen[LISTEN_KIND_COUNT][CONFIG_MAX_LISTEN][CONFIG_ADDR_MAX];
	int		 listen_count[LISTEN_KIND_COUNT];
	uint64_t	 max_message_size;	/* bytes; SMTP SIZE and DATA limit */
	enum plaintext_auth plaintext_auth;
	char		 dns_server[CONFIG_ADDR_MAX];
	char		 relayhost[CONFIG_HOST_MAX];
	char		 relayhost_user[CONFIG_HOST_MAX];
	char		 relayhost_password[CONFIG_HOST_MAX];
	char		 public_ip[CONFIG_HOST_MAX];	/* "IPv4[, IPv6]" for `posthorn dns` */

	/* Engine */
	uint64_t	 map_size;		/* LMDB map size, bytes (sparse) */
	int		 io_threads;		/* 0 = one per core */
	int		 worker_threads;	/* 0 = one per core */
	int		 log_level;		/* enum log_level */
	int		 syslog;		/* 1 = log to syslog instead of stderr */
	int		 max_connections;	/* whole daemon */
	int		 max_connections_per_ip;

	/* SMTP limits (RFC 5321 section 4.5.3) */
	int		 smtp_max_recipients;	/* then 452 4.5.3 */
	int		 smtp_max_errors;	/* bad commands, then disconnect */
	int		 smtp_max_commands_before_mail; /* NOOP/RSET/VRFY... flood */
	int		 smtp_timeout;		/* idle seconds (RFC 5321 4.5.3.2: >= 5 min) */
	size_t		 smtp_max_line;		/* command line, bytes incl. CRLF */

	/* POP3 limits */
	int		 pop3_timeout;		/* idle seconds (RFC 1939: >= 10 min) */
	int		 pop3_max_errors;

	/* IMAP limits */
	int		 imap_timeout;		/* idle seconds (RFC 3501: >= 30 min) */

	/* Authentication (auth/auth.h) */
	int		 auth_fail_threshold;	/* failures per address before a lock; 0 = off */
	int		 auth_lockout;		/* first lock, seconds; doubles on relapse */
	int		 auth_cache_ttl;	/* seconds a verified login is cached; 0 = off */
	int		 submission_hide_ip;	/* 1 = no client address in submission Received */

	/* Outbound queue and SMTP client (issue 5; outbound/) */
	int		 outbound_port;		/* port of MX hosts: 25 (tests change it) */
	int		 outbound_max_connections;	/* M: deliveries at once, overall */
	int		 outbound_max_per_domain;	/* N: at once per destination domain */
	int		 outbound_connect_timeout;	/* seconds */
	int		 outbound_timeout;	/* seconds per reply (RFC 5321 4.5.3.2 asks 5 min) */
	int		 outbound_tls;		/* enum outbound_tls, for MX delivery */
	char		 tls_ca_file[CONFIG_PATH_MAX];	/* CAs for verifying the relayhost; "" = system */
	int		 relayhost_tls;		/* enum relayhost_tls */
	int		 relayhost_tls_verify;	/* 1 = relayhost's certificate must verify */
	int		 queue_retry[CONFIG_RETRY_MAX];	/* seconds after attempt 1, 2...; last repeats */
	int		 queue_retry_count;
	int64_t		 queue_lifetime;	/* seconds from arrival, then bounce */
	int		 dkim_sign;		/* 1 = sign mail from local domains with keys in data_dir/dkim */
};

/* Fill cfg with the defaults (no listeners, data_dir "/var/lib/posthorn"). */
void	config_defaults(struct config *cfg);

/*
 * Parse a configuration file into cfg (defaults first). Returns 0, or -1 with
 * "FILE:LINE: reason" (or "FILE: reason") in err.
 */
int	config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* Same, from memory; name is used in messages. Used by tests and the fuzzer. */
int	config_parse(const char *text, size_t len, const char *name,
	    struct config *cfg, char *err, size_t errlen);

/* The config key for a listener kind ("listen_smtp"). */
const char *config_listen_key(enum listen_kind kind);

#endif
