/*
 * auth.h: password authentication shared by SMTP AUTH, POP3 and IMAP.
 *
 * Three parts, usable on their own:
 *  - SASL (auth_sasl.c): the PLAIN (RFC 4616) and LOGIN mechanisms as a
 *    small state machine over base64 lines, the same for SMTP "334 ",
 *    POP3 "+ " and IMAP "+ " continuations, with or without an initial
 *    response, "*" to cancel.
 *  - Throttling (auth_throttle.c) and the credentials cache (auth_cache.c):
 *    plain data structures with an explicit clock, so tests can drive them.
 *  - auth_verify_async() (auth_verify.c): what a front-end calls with a
 *    login and password. It applies the brute-force throttle, answers from
 *    the cache when it can, runs argon2id on a worker otherwise, logs the
 *    one login line (server_log_login) and calls back on the connection's
 *    loop, failures after a delay.
 *
 * Policy (server_plaintext_auth_allowed) and the protocol replies stay with
 * the front-ends; this module knows no protocol syntax.
 */
#ifndef POSTHORN_AUTH_H
#define POSTHORN_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "store.h"

struct conn;

/* ------------------------------------------------------------ limits */

/* Buffer sizes, NUL included. RFC 4616: authcid and passwd are 1..255 octets. */
#define AUTH_LOGIN_MAX		STORE_ADDRESS_MAX	/* login (an address) */
#define AUTH_PASSWORD_MAX	256			/* password */
#define AUTH_AUTHZID_MAX	STORE_ADDRESS_MAX	/* PLAIN authorization id */
/* Decoded bytes of one SASL message (PLAIN: authzid NUL authcid NUL passwd). */
#define AUTH_SASL_MAX		(AUTH_AUTHZID_MAX + AUTH_LOGIN_MAX + AUTH_PASSWORD_MAX)
/* Base64 characters of one SASL line (without CRLF): longer is refused unread. */
#define AUTH_BASE64_MAX		(4 * ((AUTH_SASL_MAX + 2) / 3))

/* ------------------------------------------------------------- SASL */

enum auth_mech {
	AUTH_MECH_NONE = 0,	/* not a mechanism we offer */
	AUTH_MECH_PLAIN,	/* RFC 4616 */
	AUTH_MECH_LOGIN		/* draft-murchison-sasl-login */
};

/* Results of the SASL functions. */
#define AUTH_SASL_DONE		0	/* login and password are set */
#define AUTH_SASL_CONTINUE	1	/* send the challenge, read one more line */
#define AUTH_SASL_ECANCEL	(-1)	/* the client sent "*" (SMTP 501 5.0.0) */
#define AUTH_SASL_EBASE64	(-2)	/* not valid base64 (SMTP 501 5.5.2) */
#define AUTH_SASL_EMALFORMED	(-3)	/* base64 fine, message not (missing NUL, empty field) */
#define AUTH_SASL_ETOOLONG	(-4)	/* a field or the line is over its limit */
#define AUTH_SASL_EAUTHZID	(-5)	/* PLAIN authzid differs from authcid: no proxy logins */
#define AUTH_SASL_EMECH		(-6)	/* unknown or unsupported mechanism */

/* "PLAIN"/"LOGIN" in any case to the mechanism; AUTH_MECH_NONE otherwise. */
enum auth_mech auth_sasl_mech(const char *name);

/*
 * Decode strict base64 (RFC 4648 with padding, no whitespace, no trailing
 * junk) of inlen characters into out (outsize bytes; the result is
 * NUL-terminated so outsize must leave one byte). Returns 0 and the decoded
 * length in *outlen_r, AUTH_SASL_ETOOLONG when it cannot fit, or
 * AUTH_SASL_EBASE64.
 */
int	 auth_base64_decode(const char *in, size_t inlen, char *out,
	    size_t outsize, size_t *outlen_r);

/*
 * RFC 4616 PLAIN message in base64: [authzid] NUL authcid NUL passwd.
 * authzid must be empty or equal to authcid (case-insensitively: logins
 * are addresses and folded); authcid and passwd are 1..255 octets without
 * NUL. Fills login (AUTH_LOGIN_MAX) and password (AUTH_PASSWORD_MAX).
 * Returns AUTH_SASL_DONE or one of the errors above.
 */
int	 auth_sasl_plain_decode(const char *b64, size_t len,
	    char login[AUTH_LOGIN_MAX], char password[AUTH_PASSWORD_MAX]);

/* One SASL exchange. Zero it (or auth_sasl_clear) before auth_sasl_start. */
struct auth_sasl {
	enum auth_mech	 mech;
	int		 step;		/* LOGIN: 0 wants username, 1 wants password */
	char		 login[AUTH_LOGIN_MAX];
	char		 password[AUTH_PASSWORD_MAX];
};

/*
 * Start mech. ir is the initial response from the command line (SMTP AUTH,
 * IMAP SASL-IR, POP3 AUTH) or NULL when there is none; "=" is an empty
 * initial response (RFC 4954 section 4). LOGIN accepts an initial response
 * as the username (Outlook, printers: "AUTH LOGIN dXNlcg=="). Returns
 * AUTH_SASL_CONTINUE with the base64 challenge to send in *challenge_r
 * ("" for PLAIN, the "Username:"/"Password:" prompts for LOGIN),
 * AUTH_SASL_DONE, or an error (then the exchange is over and cleared).
 */
int	 auth_sasl_start(struct auth_sasl *sa, enum auth_mech mech,
	    const char *ir, const char **challenge_r);

/*
 * The client's answer to a challenge: one line without CRLF. "*" cancels.
 * Same results as auth_sasl_start.
 */
int	 auth_sasl_step(struct auth_sasl *sa, const char *line, size_t len,
	    const char **challenge_r);

/* Wipe the exchange (it holds a password). */
void	 auth_sasl_clear(struct auth_sasl *sa);

/* Short English text for a SASL error code, for logs and reply texts. */
const char *auth_sasl_strerror(int rc);

/* ---------------------------------------------------- verification */

enum auth_status {
	AUTH_OK = 0,		/* *user is the account (an alias login resolves to it) */
	AUTH_FAILED,		/* wrong password or unknown login */
	AUTH_THROTTLED,		/* too many failures; the password was not checked */
	AUTH_TEMPFAIL		/* the store failed; try again later */
};

/*
 * Called on the connection's loop thread, only while the connection is
 * still open and has its session (a closed connection is never called
 * back: nothing to free, arg is typically the session). user is set for
 * AUTH_OK only and valid during the call.
 * Replies: AUTH_FAILED: SMTP 535 5.7.8, IMAP NO [AUTHENTICATIONFAILED],
 * POP3 -ERR [AUTH]; AUTH_THROTTLED and AUTH_TEMPFAIL: SMTP 454 4.7.0,
 * IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP].
 */
typedef void (*auth_done_fn)(struct conn *c, void *arg,
	    enum auth_status status, const struct store_user *user);

/*
 * Check login/password for connection c (call on c's loop thread; both
 * strings are copied). proto names the protocol in the log line ("smtp",
 * "pop3", "imap"). done is never called from inside this call. The caller
 * holds the session's input until done runs (the answer comes after a
 * worker's argon2id, or ~1 s late after a failure).
 *
 * In order: (1) the throttle: a client address or account over its
 * failure threshold is refused (AUTH_THROTTLED) without checking the
 * password; (2) the cache of recently verified credentials (auth_cache_ttl):
 * a hit whose stored hash is unchanged answers at once; (3) argon2id on a
 * worker thread. Every attempt is logged with server_log_login().
 * Limits come from the current configuration (auth_fail_threshold,
 * auth_lockout, auth_cache_ttl).
 */
void	 auth_verify_async(struct store *store, struct conn *c,
	    const char *proto, const char *login, const char *password,
	    auth_done_fn done, void *arg);

/*
 * The blocking part, for worker threads and tests: check password against
 * the stored hash of login (argon2id; unknown logins cost the same time),
 * and on success remember it in cache (when ttl_ms > 0). Returns 1 with
 * *user_r set, 0 for a wrong password or unknown login, <0 STORE_E*.
 */
struct auth_cache;
int	 auth_check_password(struct store *store, struct auth_cache *cache,
	    const char *login, const char *password, uint64_t now_ms,
	    uint64_t ttl_ms, struct store_user *user_r);

/* Free the daemon's throttle tables and cache (at exit, after the workers). */
void	 auth_shutdown(void);

/* ---------------------------------------------------------- throttle */

/*
 * Failed logins are counted per client address (IPv6 per /64: one host
 * owns the whole prefix) and per account (login name). A count older than
 * window_ms since its last failure (or the end of its last lock) starts
 * again from zero. At threshold
 * failures the address (or account) is locked for lockout_ms; each further
 * failure within the window locks again for twice as long, up to
 * lockout_max_ms. While locked, attempts are refused without a password
 * check and are not counted (a client retrying does not extend its own
 * lock). An account lock blocks only addresses that have failed
 * themselves, so its owner still logs in from a clean address while a
 * botnet guesses. A success clears its address's record.
 */
struct auth_throttle_limits {
	int		 addr_threshold;	/* failures per address; 0 = no limit */
	int		 account_threshold;	/* failures per account; 0 = no limit */
	uint64_t	 window_ms;
	uint64_t	 lockout_ms;
	uint64_t	 lockout_max_ms;
};

struct auth_throttle;

/* A table of at most max_entries addresses and as many accounts. Thread-safe. */
struct auth_throttle *auth_throttle_new(size_t max_entries);
void	 auth_throttle_free(struct auth_throttle **t);
/*
 * 1 when an attempt from addr for account must be refused now (*wait_ms_r,
 * if not NULL, is how long the lock still holds), 0 when it may proceed.
 */
int	 auth_throttle_check(struct auth_throttle *t,
	    const struct auth_throttle_limits *l, const char *addr,
	    const char *account, uint64_t now_ms, uint64_t *wait_ms_r);
void	 auth_throttle_failure(struct auth_throttle *t,
	    const struct auth_throttle_limits *l, const char *addr,
	    const char *account, uint64_t now_ms);
void	 auth_throttle_success(struct auth_throttle *t,
	    const struct auth_throttle_limits *l, const char *addr,
	    const char *account, uint64_t now_ms);
/* Entries held (tests: expiry and the size bound). */
size_t	 auth_throttle_size(struct auth_throttle *t);

/* The throttle key of a peer address: "192.0.2.1", "2001:db8:1:2::/64". */
void	 auth_peer_key(const struct sockaddr *sa, char *buf, size_t buflen);

/* ------------------------------------------------------------- cache */

/*
 * Recently verified credentials, like Dovecot's auth cache: key = login
 * (folded) and a keyed BLAKE2b hash of the password (random key per
 * process, so the table holds nothing an attacker could test offline).
 * Only successes are cached. Each entry keeps the argon2id hash string the
 * password was verified against; auth_cache_check() compares it with the
 * store's current one and drops the entry when the password changed.
 * Thread-safe; at most max_entries (the oldest are evicted).
 */
struct auth_cache *auth_cache_new(size_t max_entries);
void	 auth_cache_free(struct auth_cache **c);
/*
 * 1 when login/password was added less than its ttl ago: *user_r and the
 * hash it was verified against (hashsize >= STORE_PASSWORD_HASH_MAX) are
 * filled. 0 otherwise (an expired entry is dropped).
 */
int	 auth_cache_lookup(struct auth_cache *c, const char *login,
	    const char *password, uint64_t now_ms, char *hash_r, size_t hashsize,
	    struct store_user *user_r);
void	 auth_cache_add(struct auth_cache *c, const char *login,
	    const char *password, const char *hash,
	    const struct store_user *user, uint64_t now_ms, uint64_t ttl_ms);
void	 auth_cache_forget(struct auth_cache *c, const char *login);
/*
 * A lookup that also asks the store: 1 only when the entry is live and the
 * login still resolves to the same user with the same stored hash;
 * otherwise the entry is dropped and 0 returned. A cheap read.
 */
int	 auth_cache_check(struct auth_cache *c, struct store *store,
	    const char *login, const char *password, uint64_t now_ms,
	    struct store_user *user_r);
size_t	 auth_cache_size(struct auth_cache *c);

#endif
