/*
 * smtp_client.c: the SMTP client's session (RFC 5321): connect, greeting,
 * EHLO (HELO when EHLO is not implemented), the extensions the server
 * offers, STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH PLAIN or
 * LOGIN for a relayhost (RFC 4954, in smtp_client_auth.c), and QUIT.
 *
 * It reports each failure with the server's reply and leaves retrying
 * and choosing the next MX to the caller. Transactions are in
 * smtp_client_send.c, bytes and replies in smtp_client_io.c, the TLS
 * details in smtp_client_tls.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "smtp_client_int.h"
#include "util.h"

#define SMTPC_DEFAULT_CONNECT_TIMEOUT	30
#define SMTPC_DEFAULT_COMMAND_TIMEOUT	300	/* RFC 5321 4.5.3.2.1-6: 5 minutes */
#define SMTPC_DEFAULT_DATA_TIMEOUT	600	/* 4.5.3.2.6: 10 minutes */

static const struct {
	const char	*name;
	unsigned	 bit;
} smtpc_ext_names[] = {
	{ "PIPELINING",		SMTPC_EXT_PIPELINING },
	{ "SIZE",		SMTPC_EXT_SIZE },
	{ "8BITMIME",		SMTPC_EXT_8BITMIME },
	{ "SMTPUTF8",		SMTPC_EXT_SMTPUTF8 },
	{ "STARTTLS",		SMTPC_EXT_STARTTLS },
	{ "AUTH",		SMTPC_EXT_AUTH },
	{ "ENHANCEDSTATUSCODES", SMTPC_EXT_ENHANCEDSTATUSCODES },
	{ "CHUNKING",		SMTPC_EXT_CHUNKING },
	{ "DSN",		SMTPC_EXT_DSN },
};

static void	 session_ehlo_line(struct smtpc *c, const char *text, size_t len);
static int	 session_ehlo(struct smtpc *c, const struct smtpc_options *o,
		    struct smtpc_reply *fail_r);
static int	 session_starttls(struct smtpc *c, const struct smtpc_options *o,
		    struct smtpc_reply *fail_r);
static int	 session_refused(const struct smtpc_reply *r, struct smtpc_reply *fail_r);

/* A reply where success was expected: its status, never SMTPC_OK. */
static int
session_refused(const struct smtpc_reply *r, struct smtpc_reply *fail_r)
{
	int st = smtpc_status_of(r->code);

	*fail_r = *r;
	return st == SMTPC_OK ? SMTPC_TEMP : st;
}

/*
 * One line of the EHLO reply (RFC 5321 4.1.1.1): the first is the
 * server's name, then one "KEYWORD [params]" per line.
 */
static void
session_ehlo_line(struct smtpc *c, const char *text, size_t len)
{
	char kw[32];
	const char *p = text, *end = text + len;
	size_t i, n = 0;

	if (c->ehlo_lines++ == 0)
		return;
	while (p < end && *p != ' ' && *p != '=' && n + 1 < sizeof(kw))
		kw[n++] = *p++;
	kw[n] = '\0';
	for (i = 0; i < sizeof(smtpc_ext_names) / sizeof(smtpc_ext_names[0]); i++)
		if (strcasecmp(kw, smtpc_ext_names[i].name) == 0)
			c->ext |= smtpc_ext_names[i].bit;
	if (strcasecmp(kw, "SIZE") == 0) {
		uint64_t v;
		char num[24];

		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p) < sizeof(num) ? (size_t)(end - p) : sizeof(num) - 1;
		memcpy(num, p, n);
		num[n] = '\0';
		/* "SIZE" alone or "SIZE 0": no fixed limit (RFC 1870 4). */
		if (parse_uint(num, 0, UINT64_MAX, &v) == 0)
			c->size_max = v;
	} else if (strcasecmp(kw, "AUTH") == 0) {
		/* "AUTH PLAIN LOGIN", or the pre-RFC "AUTH=PLAIN LOGIN". */
		while (p < end) {
			const char *w;

			while (p < end && (*p == ' ' || *p == '='))
				p++;
			for (w = p; p < end && *p != ' '; p++)
				;
			if (p - w == 5 && strncasecmp(w, "PLAIN", 5) == 0)
				c->auth_mechs |= SMTPC_AUTH_PLAIN;
			else if (p - w == 5 && strncasecmp(w, "LOGIN", 5) == 0)
				c->auth_mechs |= SMTPC_AUTH_LOGIN;
		}
	}
}

/* EHLO, or HELO when EHLO is not implemented (500/502). */
static int
session_ehlo(struct smtpc *c, const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	const char *helo = o->helo != NULL && o->helo[0] != '\0' ? o->helo : "localhost";
	char cmd[SMTPC_CMD_MAX + 2];
	struct smtpc_reply r;
	size_t i;

	for (i = 0; helo[i] != '\0'; i++)
		if ((unsigned char)helo[i] <= ' ' || (unsigned char)helo[i] >= 0x7f) {
			smtpc_reply_local(fail_r, 0, "invalid EHLO name");
			return SMTPC_TEMP;
		}
	/* RFC 3207 4.2: after STARTTLS, forget what was learned before. */
	c->ext = 0;
	c->auth_mechs = 0;
	c->size_max = 0;
	c->ehlo_lines = 0;
	if (str_format(cmd, sizeof(cmd), "EHLO %s\r\n", helo) < 0) {
		smtpc_reply_local(fail_r, 0, "EHLO name too long");
		return SMTPC_TEMP;
	}
	if (smtpc_io_write(c, cmd, strlen(cmd), c->command_timeout, "EHLO", &r) < 0 ||
	    smtpc_io_read_reply(c, c->command_timeout, "the reply to EHLO", &r,
	    session_ehlo_line) < 0) {
		*fail_r = r;
		return SMTPC_TEMP;
	}
	if (r.code == 250)
		return SMTPC_OK;
	c->ext = 0;
	c->auth_mechs = 0;
	c->size_max = 0;
	if (r.code != 500 && r.code != 502)
		return session_refused(&r, fail_r);
	(void)str_format(cmd, sizeof(cmd), "HELO %s", helo);
	if (smtpc_io_command(c, cmd, "HELO", &r) < 0) {
		*fail_r = r;
		return SMTPC_TEMP;
	}
	return r.code == 250 ? SMTPC_OK : session_refused(&r, fail_r);
}

/*
 * STARTTLS per policy. SMTPC_TLS_MAY carries on in plaintext when it is
 * not offered or the server declines it (4xx), but a failed handshake
 * leaves the connection unusable: the caller may retry without TLS.
 */
static int
session_starttls(struct smtpc *c, const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	int require = o->tls == SMTPC_TLS_REQUIRE;
	struct smtpc_reply r;

	if (o->tls != SMTPC_TLS_MAY && !require)
		return SMTPC_OK;
	if (!require && o->ssl_ctx == NULL)
		return SMTPC_OK;
	if (!(c->ext & SMTPC_EXT_STARTTLS)) {
		if (!require)
			return SMTPC_OK;
		smtpc_reply_local(fail_r, 1, "TLS required but the server does not offer STARTTLS");
		return SMTPC_TEMP;
	}
	if (o->ssl_ctx == NULL) {
		smtpc_reply_local(fail_r, 1, "TLS required but no TLS client context");
		return SMTPC_TEMP;
	}
	if (smtpc_io_command(c, "STARTTLS", "STARTTLS", &r) < 0) {
		*fail_r = r;
		fail_r->tls_failed = 1;
		return SMTPC_TEMP;
	}
	if (r.code != 220) {
		if (!require) {
			log_debug("smtpc: STARTTLS declined (%s), continuing without TLS", r.text);
			return SMTPC_OK;
		}
		*fail_r = r;
		fail_r->tls_failed = 1;
		return SMTPC_TEMP;
	}
	/* Anything sent after 220 came before TLS: an injection (CVE-2011-0411). */
	if (smtpc_io_pending(c) > 0) {
		c->usable = 0;
		smtpc_reply_local(fail_r, 1, "TLS handshake failed: plaintext after the STARTTLS reply");
		return SMTPC_TEMP;
	}
	if (smtpc_tls_start(c, o, fail_r) < 0)
		return SMTPC_TEMP;
	return session_ehlo(c, o, fail_r);
}

int
smtpc_open(struct smtpc **c_r, const struct sockaddr *addr, socklen_t addrlen,
    const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	struct smtpc *c;
	struct smtpc_reply r;
	int st;

	memset(fail_r, 0, sizeof(*fail_r));
	c = xcalloc(1, sizeof(*c));
	c->command_timeout = o->command_timeout > 0 ? o->command_timeout :
	    SMTPC_DEFAULT_COMMAND_TIMEOUT;
	c->data_timeout = o->data_timeout > 0 ? o->data_timeout : SMTPC_DEFAULT_DATA_TIMEOUT;
	c->fd = smtpc_io_connect(addr, addrlen, o->connect_timeout > 0 ? o->connect_timeout :
	    SMTPC_DEFAULT_CONNECT_TIMEOUT, fail_r);
	if (c->fd < 0) {
		free(c);
		return SMTPC_TEMP;
	}
	c->usable = 1;
	if (o->tls == SMTPC_TLS_IMPLICIT && smtpc_tls_start(c, o, fail_r) < 0) {
		st = SMTPC_TEMP;
		goto fail;
	}
	if (smtpc_io_read_reply(c, c->command_timeout, "the greeting", &r, NULL) < 0) {
		*fail_r = r;
		st = SMTPC_TEMP;
		goto fail;
	}
	/* RFC 5321 3.1: a 554 greeting still wants our QUIT (smtpc_close). */
	if (r.code != 220) {
		st = session_refused(&r, fail_r);
		goto fail;
	}
	if ((st = session_ehlo(c, o, fail_r)) != SMTPC_OK ||
	    (st = session_starttls(c, o, fail_r)) != SMTPC_OK)
		goto fail;
	if (o->auth_user != NULL && (st = smtpc_auth(c, o, fail_r)) != SMTPC_OK)
		goto fail;
	*c_r = c;
	return SMTPC_OK;
fail:
	smtpc_close(c);
	return st;
}

int
smtpc_usable(const struct smtpc *c)
{
	return c != NULL && c->usable;
}

const char *
smtpc_tls_info(const struct smtpc *c)
{
	return c->tls_info;
}

int
smtpc_has_ext(const struct smtpc *c, const char *keyword)
{
	size_t i;

	for (i = 0; i < sizeof(smtpc_ext_names) / sizeof(smtpc_ext_names[0]); i++)
		if (strcasecmp(keyword, smtpc_ext_names[i].name) == 0)
			return (c->ext & smtpc_ext_names[i].bit) != 0;
	return 0;
}

void
smtpc_close(struct smtpc *c)
{
	if (c == NULL)
		return;
	if (c->usable) {
		struct smtpc_reply r;

		/* A polite QUIT; a server that does not answer 221 soon is not waited for. */
		c->command_timeout = SMTPC_QUIT_TIMEOUT_MS / 1000;
		(void)smtpc_io_command(c, "QUIT", "QUIT", &r);
	}
	/*
	 * close_notify only on a connection that is still sound: OpenSSL
	 * forbids SSL_shutdown after a fatal error, and a dead peer needs none.
	 */
	if (c->ssl != NULL && !c->usable)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	smtpc_tls_end(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
