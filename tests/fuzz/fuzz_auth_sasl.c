/*
 * fuzz_auth_sasl.c: libFuzzer target for auth/auth_sasl.c, the SASL PLAIN
 * and LOGIN decoders every protocol feeds with client lines. Each input
 * line is tried as a PLAIN message, as the initial response and the steps
 * of both mechanisms; a completed exchange must hold a non-empty login and
 * password that fit their buffers, and every error must leave the exchange
 * wiped.
 *
 * Seeds: tests/fuzz/corpus/fuzz_auth_sasl/ (base64 lines from the unit tests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define LINE_MAX_FUZZ	4096

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_done(const struct auth_sasl *sa)
{
	if (sa->login[0] == '\0' || sa->password[0] == '\0' ||
	    strlen(sa->login) >= AUTH_LOGIN_MAX ||
	    strlen(sa->password) >= AUTH_PASSWORD_MAX)
		abort();
}

static void
check_result(const struct auth_sasl *sa, int rc)
{
	if (rc == AUTH_SASL_DONE)
		check_done(sa);
	else if (rc < 0 && (sa->mech != AUTH_MECH_NONE || sa->login[0] != '\0'))
		abort();		/* an error must wipe the exchange */
}

static void
fuzz_line(const char *line, size_t len)
{
	char		 login[AUTH_LOGIN_MAX], pw[AUTH_PASSWORD_MAX];
	struct auth_sasl sa;
	const char	*ch;
	int		 rc, m;

	if (auth_sasl_plain_decode(line, len, login, pw) == AUTH_SASL_DONE &&
	    (login[0] == '\0' || pw[0] == '\0'))
		abort();
	for (m = AUTH_MECH_PLAIN; m <= AUTH_MECH_LOGIN; m++) {
		memset(&sa, 0, sizeof(sa));
		rc = auth_sasl_start(&sa, (enum auth_mech)m, line, &ch);
		check_result(&sa, rc);
		if (rc == AUTH_SASL_CONTINUE) {
			rc = auth_sasl_step(&sa, line, len, &ch);
			check_result(&sa, rc);
		}
		memset(&sa, 0, sizeof(sa));
		if (auth_sasl_start(&sa, (enum auth_mech)m, NULL, &ch) != AUTH_SASL_CONTINUE)
			abort();
		while ((rc = auth_sasl_step(&sa, line, len, &ch)) == AUTH_SASL_CONTINUE)
			;	/* LOGIN: the same line as name, then as password */
		check_result(&sa, rc);
		auth_sasl_clear(&sa);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 line[LINE_MAX_FUZZ + 1];
	const uint8_t	*p = data, *end = data + size, *nl;
	size_t		 len;

	/* One exchange line per input line, as the line readers cut them. */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len <= LINE_MAX_FUZZ && memchr(p, '\0', len) == NULL) {
			memcpy(line, p, len);
			line[len] = '\0';
			fuzz_line(line, len);
		}
		p += len + 1;
	}
	return 0;
}
