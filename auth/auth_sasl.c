/*
 * auth_sasl.c: the SASL mechanisms every protocol offers, PLAIN (RFC 4616)
 * and LOGIN (draft-murchison-sasl-login), over strict base64.
 *
 * Input is what a client sent on a command or continuation line, already
 * cut by the protocol's line reader; every field is checked against its own
 * limit before it is copied. Decoded secrets live in fixed buffers that are
 * wiped when the exchange ends. The protocol front-end frames challenges
 * ("334 ", "+ ") and chooses its replies; it also decides whether password
 * mechanisms are allowed at all (server_plaintext_auth_allowed()).
 *
 * Not here: CRAM-MD5, SCRAM and other mechanisms that need the plaintext
 * password or its own stored keys (we keep only argon2id hashes), and
 * proxy authorization (an authzid different from the login is refused).
 */
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "util.h"

/* base64("Username:") and base64("Password:"), as Outlook expects. */
#define LOGIN_PROMPT_USER	"VXNlcm5hbWU6"
#define LOGIN_PROMPT_PASS	"UGFzc3dvcmQ6"

enum auth_mech
auth_sasl_mech(const char *name)
{
	if (strcasecmp(name, "PLAIN") == 0)
		return AUTH_MECH_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return AUTH_MECH_LOGIN;
	return AUTH_MECH_NONE;
}

const char *
auth_sasl_strerror(int rc)
{
	switch (rc) {
	case AUTH_SASL_DONE:		return "done";
	case AUTH_SASL_CONTINUE:	return "continue";
	case AUTH_SASL_ECANCEL:		return "cancelled by the client";
	case AUTH_SASL_EBASE64:		return "invalid base64";
	case AUTH_SASL_EMALFORMED:	return "malformed SASL message";
	case AUTH_SASL_ETOOLONG:	return "SASL message too long";
	case AUTH_SASL_EAUTHZID:	return "authorization identity differs from the login";
	case AUTH_SASL_EMECH:		return "unsupported mechanism";
	}
	return "unknown SASL error";
}

int
auth_base64_decode(const char *in, size_t inlen, char *out, size_t outsize,
    size_t *outlen_r)
{
	const char	*end = NULL;
	size_t		 need, pad = 0, len = 0;

	*outlen_r = 0;
	if (outsize == 0)
		return AUTH_SASL_ETOOLONG;
	out[0] = '\0';
	/* RFC 4648 section 3.2: padded to whole quanta, nothing else allowed. */
	if (inlen % 4 != 0)
		return AUTH_SASL_EBASE64;
	if (inlen > 0 && in[inlen - 1] == '=')
		pad = (inlen > 1 && in[inlen - 2] == '=') ? 2 : 1;
	need = inlen / 4 * 3 - pad;
	if (need > outsize - 1)
		return AUTH_SASL_ETOOLONG;
	if (sodium_base642bin((unsigned char *)out, outsize - 1, in, inlen,
	    NULL, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != in + inlen) {
		sodium_memzero(out, outsize);
		return AUTH_SASL_EBASE64;
	}
	out[len] = '\0';
	*outlen_r = len;
	return 0;
}

/* Copy field [p, p+n) into dst (size dstsize); its own limit, no NUL inside. */
static int
copy_field(char *dst, size_t dstsize, const char *p, size_t n)
{
	if (n >= dstsize)
		return AUTH_SASL_ETOOLONG;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int
auth_sasl_plain_decode(const char *b64, size_t len,
    char login[AUTH_LOGIN_MAX], char password[AUTH_PASSWORD_MAX])
{
	char		 buf[AUTH_SASL_MAX + 1], authzid[AUTH_AUTHZID_MAX];
	const char	*nul1, *nul2, *end;
	size_t		 n;
	int		 rc;

	login[0] = password[0] = '\0';
	if (len > AUTH_BASE64_MAX)
		return AUTH_SASL_ETOOLONG;
	if ((rc = auth_base64_decode(b64, len, buf, sizeof(buf), &n)) != 0)
		return rc;
	end = buf + n;
	/* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 section 2) */
	rc = AUTH_SASL_EMALFORMED;
	if ((nul1 = memchr(buf, '\0', n)) == NULL || nul1 == end)
		goto out;
	if ((nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL)
		goto out;
	/* Empty authcid or passwd, or a third NUL inside passwd. */
	if (nul2 == nul1 + 1 || nul2 + 1 == end ||
	    memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL)
		goto out;
	if ((rc = copy_field(authzid, sizeof(authzid), buf, (size_t)(nul1 - buf))) != 0 ||
	    (rc = copy_field(login, AUTH_LOGIN_MAX, nul1 + 1,
	    (size_t)(nul2 - nul1 - 1))) != 0 ||
	    (rc = copy_field(password, AUTH_PASSWORD_MAX, nul2 + 1,
	    (size_t)(end - nul2 - 1))) != 0)
		goto out;
	/* mutt sends authzid = authcid; anything else would be a proxy login. */
	if (authzid[0] != '\0' && strcasecmp(authzid, login) != 0)
		rc = AUTH_SASL_EAUTHZID;
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(authzid, sizeof(authzid));
	if (rc != 0) {
		sodium_memzero(login, AUTH_LOGIN_MAX);
		sodium_memzero(password, AUTH_PASSWORD_MAX);
	}
	return rc;
}

/* One LOGIN field: base64 of a non-empty string without NUL. */
static int
login_field(const char *b64, size_t len, char *dst, size_t dstsize)
{
	char	 buf[AUTH_PASSWORD_MAX > AUTH_LOGIN_MAX ?
		    AUTH_PASSWORD_MAX : AUTH_LOGIN_MAX];
	size_t	 n;
	int	 rc;

	if (len > AUTH_BASE64_MAX)
		return AUTH_SASL_ETOOLONG;
	rc = auth_base64_decode(b64, len, buf, sizeof(buf), &n);
	if (rc == 0 && (n == 0 || memchr(buf, '\0', n) != NULL))
		rc = AUTH_SASL_EMALFORMED;
	if (rc == 0)
		rc = copy_field(dst, dstsize, buf, n);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

void
auth_sasl_clear(struct auth_sasl *sa)
{
	sodium_memzero(sa, sizeof(*sa));
}

/* One client response (initial or to a challenge) for the current step. */
static int
sasl_response(struct auth_sasl *sa, const char *b64, size_t len,
    const char **challenge_r)
{
	int	 rc;

	switch (sa->mech) {
	case AUTH_MECH_PLAIN:
		rc = auth_sasl_plain_decode(b64, len, sa->login, sa->password);
		break;
	case AUTH_MECH_LOGIN:
		if (sa->step == 0) {
			rc = login_field(b64, len, sa->login, sizeof(sa->login));
			if (rc == 0) {
				sa->step = 1;
				*challenge_r = LOGIN_PROMPT_PASS;
				return AUTH_SASL_CONTINUE;
			}
		} else
			rc = login_field(b64, len, sa->password,
			    sizeof(sa->password));
		break;
	default:
		rc = AUTH_SASL_EMECH;
		break;
	}
	if (rc != AUTH_SASL_DONE)
		auth_sasl_clear(sa);
	return rc;
}

int
auth_sasl_start(struct auth_sasl *sa, enum auth_mech mech, const char *ir,
    const char **challenge_r)
{
	auth_sasl_clear(sa);
	*challenge_r = "";
	if (mech != AUTH_MECH_PLAIN && mech != AUTH_MECH_LOGIN)
		return AUTH_SASL_EMECH;
	sa->mech = mech;
	if (ir == NULL) {
		if (mech == AUTH_MECH_LOGIN)
			*challenge_r = LOGIN_PROMPT_USER;
		return AUTH_SASL_CONTINUE;
	}
	/* RFC 4954 section 4: "=" is an initial response of zero length. */
	if (strcmp(ir, "=") == 0)
		return sasl_response(sa, "", 0, challenge_r);
	return sasl_response(sa, ir, strlen(ir), challenge_r);
}

int
auth_sasl_step(struct auth_sasl *sa, const char *line, size_t len,
    const char **challenge_r)
{
	*challenge_r = "";
	if (len == 1 && line[0] == '*') {
		/* RFC 4954 section 4, RFC 3501 6.2.2, RFC 5034 section 4 */
		auth_sasl_clear(sa);
		return AUTH_SASL_ECANCEL;
	}
	return sasl_response(sa, line, len, challenge_r);
}
