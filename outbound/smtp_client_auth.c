/*
 * smtp_client_auth.c: AUTH for the relayhost (RFC 4954): PLAIN with an
 * initial response (RFC 4616) when offered, else LOGIN. The password is
 * only sent over TLS, unless TLS was explicitly configured off, and the
 * buffers that held it are wiped.
 *
 * A refusal is reported as temporary: it is a configuration problem of
 * ours, not a reason to bounce mail. No CRAM-MD5 or SCRAM (a relayhost
 * is reached over TLS).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "smtp_client_int.h"
#include "util.h"

static int	 auth_send(struct smtpc *c, const char *prefix, const char *secret,
		    size_t secretlen, const char *stage, struct smtpc_reply *r);
static int	 auth_result(struct smtpc *c, const char *mech, int net,
		    struct smtpc_reply *r, struct smtpc_reply *fail_r);

/*
 * Send prefix followed by base64(secret) and CRLF, read the reply.
 * Returns 0, or -1 on a network failure (r says why).
 */
static int
auth_send(struct smtpc *c, const char *prefix, const char *secret,
    size_t secretlen, const char *stage, struct smtpc_reply *r)
{
	size_t plen = strlen(prefix), cap = plen + 4 * ((secretlen + 2) / 3) + 3;
	char *line = xmalloc(cap), what[64];
	int n, ret;

	memcpy(line, prefix, plen);
	n = EVP_EncodeBlock((unsigned char *)line + plen, (const unsigned char *)secret,
	    (int)secretlen);
	memcpy(line + plen + (size_t)n, "\r\n", 2);
	ret = smtpc_io_write(c, line, plen + (size_t)n + 2, c->command_timeout, stage, r);
	OPENSSL_cleanse(line, cap);
	free(line);
	if (ret < 0)
		return -1;
	(void)str_format(what, sizeof(what), "the reply to %s", stage);
	return smtpc_io_read_reply(c, c->command_timeout, what, r, NULL);
}

/*
 * The end of an AUTH exchange. A refusal is SMTPC_TEMP, not PERM: wrong
 * relayhost credentials are the administrator's to fix, and the mail
 * must wait for that rather than bounce.
 */
static int
auth_result(struct smtpc *c, const char *mech, int net,
    struct smtpc_reply *r, struct smtpc_reply *fail_r)
{
	char text[SMTPC_REPLY_MAX];

	if (net < 0) {
		*fail_r = *r;
		return SMTPC_TEMP;
	}
	if (r->code == 235)
		return SMTPC_OK;
	if (r->code == 334) {
		struct smtpc_reply cancel;

		/* RFC 4954 4: "*" cancels an exchange we cannot continue. */
		if (smtpc_io_command(c, "*", "AUTH cancel", &cancel) < 0)
			c->usable = 0;
	}
	str_copy(text, r->text, sizeof(text));
	fail_r->code = r->code;
	fail_r->tls_failed = 0;
	(void)str_format(fail_r->text, sizeof(fail_r->text), "AUTH %s refused: %s", mech, text);
	return SMTPC_TEMP;
}

int
smtpc_auth(struct smtpc *c, const struct smtpc_options *o, struct smtpc_reply *fail_r)
{
	const char *user = o->auth_user;
	const char *pass = o->auth_password != NULL ? o->auth_password : "";
	size_t ulen = strlen(user), plen = strlen(pass);
	struct smtpc_reply r;
	int net;

	/* The password goes in clear only when plaintext was configured. */
	if (c->ssl == NULL && o->tls != SMTPC_TLS_NONE) {
		smtpc_reply_local(fail_r, 1, "not sending the AUTH password without TLS "
		    "(the relayhost did not offer STARTTLS)");
		return SMTPC_TEMP;
	}
	if (!(c->ext & SMTPC_EXT_AUTH)) {
		smtpc_reply_local(fail_r, 0, "relayhost does not offer AUTH");
		return SMTPC_TEMP;
	}
	if (c->auth_mechs & SMTPC_AUTH_PLAIN) {
		/* RFC 4616: authzid NUL authcid NUL passwd, as the initial response. */
		size_t len = ulen + plen + 2;
		char *msg = xmalloc(len);

		msg[0] = '\0';
		memcpy(msg + 1, user, ulen);
		msg[1 + ulen] = '\0';
		memcpy(msg + 2 + ulen, pass, plen);
		net = auth_send(c, "AUTH PLAIN ", msg, len, "AUTH PLAIN", &r);
		OPENSSL_cleanse(msg, len);
		free(msg);
		return auth_result(c, "PLAIN", net, &r, fail_r);
	}
	if (c->auth_mechs & SMTPC_AUTH_LOGIN) {
		/* draft-murchison-sasl-login: 334 "Username:", 334 "Password:". */
		net = smtpc_io_command(c, "AUTH LOGIN", "AUTH LOGIN", &r);
		if (net == 0 && r.code == 334)
			net = auth_send(c, "", user, ulen, "AUTH LOGIN user", &r);
		if (net == 0 && r.code == 334)
			net = auth_send(c, "", pass, plen, "AUTH LOGIN password", &r);
		return auth_result(c, "LOGIN", net, &r, fail_r);
	}
	smtpc_reply_local(fail_r, 0, "relayhost offers no AUTH mechanism we support (PLAIN, LOGIN)");
	return SMTPC_TEMP;
}
