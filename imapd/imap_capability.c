/*
 * imap_capability.c: what the server announces and the small commands of
 * any state: CAPABILITY, NOOP/CHECK, LOGOUT (RFC 3501 6.1), ID (RFC 2971),
 * ENABLE (RFC 5161) and NAMESPACE (RFC 2342).
 *
 * The capability list is one table: an extension is advertised only once
 * it works, and the same list goes into the greeting, the CAPABILITY
 * response and the [CAPABILITY] code of the login reply. UIDONLY is never
 * advertised (Outlook mishandles it).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "tls.h"
#include "util.h"

#define ID_FIELDS_MAX		30	/* RFC 2971 3.3 */
#define ID_FIELD_LEN_MAX	30
#define ID_VALUE_LEN_MAX	1024

/* After login (RFC 3501 7.2.1: the list may change with the state). */
static const char *const caps_auth[] = {
	"IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE",
	"IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN",
	"LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CONDSTORE",
	"QRESYNC", "ESEARCH", "SEARCHRES", "UTF8=ACCEPT", "BINARY", "STATUS=SIZE",
	NULL
};

static const char *const caps_preauth[] = {
	"IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE",
	"IDLE", NULL
};

void
imap_capability_string(const struct imap_session *s, char *buf, size_t size)
{
	const struct config *cfg = server_config();
	const char *const *list;
	char extra[64];
	size_t i;

	buf[0] = '\0';
	list = s->state == IMAP_STATE_NOT_AUTH ? caps_preauth : caps_auth;
	for (i = 0; list[i] != NULL; i++) {
		if (i > 0)
			str_append(buf, " ", size);
		str_append(buf, list[i], size);
	}
	if (s->state == IMAP_STATE_NOT_AUTH) {
		if (!conn_is_tls(s->conn) && tls_available())
			str_append(buf, " STARTTLS", size);
		/* RFC 3501 6.2.3: no password in the clear where policy forbids it. */
		if (server_plaintext_auth_allowed(s->conn))
			str_append(buf, " AUTH=PLAIN AUTH=LOGIN", size);
		else
			str_append(buf, " LOGINDISABLED", size);
		return;
	}
	/* RFC 7889: the largest message APPEND takes. */
	if (str_format(extra, sizeof(extra), " APPENDLIMIT=%llu",
	    (unsigned long long)(cfg != NULL ? cfg->max_message_size : 0)) == 0)
		str_append(buf, extra, size);
}

int
cmd_capability(struct imap_cmd *cmd)
{
	char caps[1024];

	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "CAPABILITY takes no arguments.");
		return 1;
	}
	imap_capability_string(cmd->s, caps, sizeof(caps));
	imap_send_untagged(cmd->s, "CAPABILITY %s", caps);
	imap_send_tagged(cmd, "OK", NULL, "Capability completed.");
	return 1;
}

/* NOOP and CHECK: the untagged updates are the point (imap_send_tagged syncs). */
int
cmd_noop(struct imap_cmd *cmd)
{
	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "%s takes no arguments.", cmd->name);
		return 1;
	}
	imap_send_tagged(cmd, "OK", NULL, "%s completed.",
	    strcmp(cmd->name, "CHECK") == 0 ? "Check" : "NOOP");
	return 1;
}

int
cmd_logout(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;

	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "LOGOUT takes no arguments.");
		return 1;
	}
	imap_send_untagged(s, "BYE Logging out.");
	imap_send_tagged(cmd, "OK", NULL, "Logout completed.");
	imap_set_state(s, IMAP_STATE_LOGOUT);
	imap_session_close(s, "logout");
	return 1;
}

/* RFC 2971 3.3: NIL or a list of up to 30 field/value string pairs. */
static int
id_valid(const struct imap_arg *a, char *log, size_t logsize)
{
	size_t i, len;
	const char *f, *v;
	int nil;

	log[0] = '\0';
	if (imap_arg_is_nil(a))
		return 1;
	if (a->type != IMAP_ARG_LIST || a->list_n % 2 != 0 ||
	    a->list_n > 2 * ID_FIELDS_MAX)
		return 0;
	for (i = 0; i < a->list_n; i += 2) {
		char fb[64], vb[128];

		f = imap_arg_string(&a->list[i], &len);
		if (f == NULL || len > ID_FIELD_LEN_MAX)
			return 0;
		log_sanitize(fb, sizeof(fb), f, len);
		v = imap_arg_nstring(&a->list[i + 1], &len, &nil);
		if ((v == NULL && !nil) || len > ID_VALUE_LEN_MAX)
			return 0;
		if (v != NULL)
			log_sanitize(vb, sizeof(vb), v, len);
		else
			str_copy(vb, "NIL", sizeof(vb));
		if (strcasecmp(fb, "name") == 0 || strcasecmp(fb, "version") == 0) {
			if (log[0] != '\0')
				str_append(log, " ", logsize);
			str_append(log, fb, logsize);
			str_append(log, "=", logsize);
			str_append(log, vb, logsize);
		}
	}
	return 1;
}

int
cmd_id(struct imap_cmd *cmd)
{
	char log[300];

	if (cmd->n_args != 1 || !id_valid(&cmd->args[0], log, sizeof(log))) {
		imap_send_tagged(cmd, "BAD", NULL, "ID wants NIL or a list of field/value pairs.");
		return 1;
	}
	if (log[0] != '\0')
		log_info("imap: conn=%llu client id: %s",
		    (unsigned long long)cmd->s->id, log);
	imap_send_untagged(cmd->s, "ID (\"name\" \"Posthorn\" \"version\" \"%s\")",
	    PACKAGE_VERSION);
	imap_send_tagged(cmd, "OK", NULL, "ID completed.");
	return 1;
}

void
imap_condstore_enable(struct imap_session *s)
{
	if (s->enabled & IMAP_ENABLED_CONDSTORE)
		return;
	s->enabled |= IMAP_ENABLED_CONDSTORE;
	/* RFC 7162 3.1: tell the HIGHESTMODSEQ the view is at. */
	if (s->state == IMAP_STATE_SELECTED && s->sel != NULL)
		imap_send_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->sel->highestmodseq);
}

/* RFC 5161 ENABLE: reply with what this command newly enabled. */
int
cmd_enable(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char enabled[128];
	size_t i;

	if (cmd->n_args == 0) {
		imap_send_tagged(cmd, "BAD", NULL, "ENABLE wants capability names.");
		return 1;
	}
	enabled[0] = '\0';
	for (i = 0; i < cmd->n_args; i++) {
		const struct imap_arg *a = &cmd->args[i];
		unsigned bit;
		const char *name;

		if (a->type != IMAP_ARG_ATOM) {
			imap_send_tagged(cmd, "BAD", NULL, "ENABLE wants capability names.");
			return 1;
		}
		if (strcasecmp(a->str, "CONDSTORE") == 0) {
			bit = IMAP_ENABLED_CONDSTORE;
			name = "CONDSTORE";
		} else if (strcasecmp(a->str, "QRESYNC") == 0) {
			bit = IMAP_ENABLED_QRESYNC | IMAP_ENABLED_CONDSTORE;
			name = "QRESYNC";
		} else if (strcasecmp(a->str, "UTF8=ACCEPT") == 0) {
			bit = IMAP_ENABLED_UTF8;
			name = "UTF8=ACCEPT";
		} else if (strcasecmp(a->str, "IMAP4rev2") == 0) {
			bit = IMAP_ENABLED_REV2;
			name = "IMAP4rev2";
		} else
			continue;	/* RFC 5161 3.1: unknown names are ignored */
		if ((s->enabled & bit) == bit)
			continue;
		if (bit & IMAP_ENABLED_CONDSTORE)
			imap_condstore_enable(s);
		s->enabled |= bit;
		if (strstr(enabled, name) == NULL) {
			str_append(enabled, " ", sizeof(enabled));
			str_append(enabled, name, sizeof(enabled));
		}
	}
	imap_send_untagged(s, "ENABLED%s", enabled);
	imap_send_tagged(cmd, "OK", NULL, "Enabled.");
	return 1;
}

/* RFC 2342: one personal namespace, no prefix, '/' delimiter. */
int
cmd_namespace(struct imap_cmd *cmd)
{
	if (cmd->n_args != 0) {
		imap_send_tagged(cmd, "BAD", NULL, "NAMESPACE takes no arguments.");
		return 1;
	}
	imap_send_untagged(cmd->s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_send_tagged(cmd, "OK", NULL, "Namespace completed.");
	return 1;
}
