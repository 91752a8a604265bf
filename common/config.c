/*
 * config.c: parse posthorn.conf ("key = value", '#' comments).
 *
 * A table maps each key to its type and field, so adding a key is one line.
 * Every error names the file and line; the parser never guesses: unknown
 * keys, bad numbers and out-of-range values are refused, because a mail
 * server that silently ignores a typo in a limit is worse than one that
 * does not start.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "util.h"

#define CONFIG_FILE_MAX	(1024 * 1024)	/* a config file is small */
#define CONFIG_LINE_MAX	4096

enum config_type {
	CT_STRING,	/* char[], size from the table */
	CT_HOSTNAME,	/* string without spaces */
	CT_SIZE,	/* uint64_t or size_t (by field size) with K/M/G suffix */
	CT_INT,		/* int in [min, max] */
	CT_BOOL,	/* yes/no/true/false/on/off/1/0 */
	CT_ENUM,	/* int: index of the value in names[] */
	CT_DURATION,	/* int or int64_t (by field size), seconds; s/m/h/d suffix */
	CT_SCHEDULE,	/* queue_retry_schedule: comma-separated durations */
	CT_HOSTPORT,	/* numeric "IPv4:port" / "[IPv6]:port" or "" */
	CT_RELAYHOST,	/* "host:port" / "[addr]:port" or "" */
	CT_LISTEN	/* listen_* list */
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	size_t			 offset;
	size_t			 size;	/* CT_STRING buffer size */
	int64_t			 min, max;
	int			 listen;	/* CT_LISTEN: enum listen_kind */
	const char *const	*names;		/* CT_ENUM: NULL-terminated, index = value */
};

#define FIELD(t, k, f)	{ k, t, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, 0, NULL }
#define STR(k, f)	FIELD(CT_STRING, k, f)
#define HOST(k, f)	FIELD(CT_HOSTNAME, k, f)
#define BOOL(k, f)	FIELD(CT_BOOL, k, f)
#define SIZE(k, f, lo, hi) { k, CT_SIZE, offsetof(struct config, f), sizeof(((struct config *)0)->f), lo, hi, 0, NULL }
#define INT(k, f, lo, hi) { k, CT_INT, offsetof(struct config, f), 0, lo, hi, 0, NULL }
#define DURATION(k, f, lo, hi) { k, CT_DURATION, offsetof(struct config, f), sizeof(((struct config *)0)->f), lo, hi, 0, NULL }
#define ENUM(k, f, n)	{ k, CT_ENUM, offsetof(struct config, f), 0, 0, 0, 0, n }
#define LISTEN(k, kind)	{ k, CT_LISTEN, 0, 0, 0, 0, kind, NULL }

/* CT_ENUM value names, in the order of their enums. */
static const char *const log_level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const plaintext_auth_names[] = { "loopback", "never", "always", NULL };
static const char *const outbound_tls_names[] = { "may", "encrypt", "none", NULL };
static const char *const relayhost_tls_names[] = { "auto", "starttls", "tls", "none", NULL };

static const struct config_key config_keys[] = {
	HOST("hostname", hostname),
	STR("data_dir", data_dir),
	HOST("user", user),
	STR("tls_cert", tls_cert),
	STR("tls_key", tls_key),
	LISTEN("listen_smtp", LISTEN_SMTP),
	LISTEN("listen_submission", LISTEN_SUBMISSION),
	LISTEN("listen_submissions", LISTEN_SUBMISSIONS),
	LISTEN("listen_pop3", LISTEN_POP3),
	LISTEN("listen_pop3s", LISTEN_POP3S),
	LISTEN("listen_imap", LISTEN_IMAP),
	LISTEN("listen_imaps", LISTEN_IMAPS),
	SIZE("max_message_size", max_message_size, 1024, 1024LL * 1024 * 1024),
	ENUM("plaintext_auth", plaintext_auth, plaintext_auth_names),
	FIELD(CT_HOSTPORT, "dns_server", dns_server),
	FIELD(CT_RELAYHOST, "relayhost", relayhost),
	HOST("relayhost_user", relayhost_user),
	STR("relayhost_password", relayhost_password),
	STR("public_ip", public_ip),
	SIZE("map_size", map_size, 1024 * 1024, 1LL << 46),
	INT("io_threads", io_threads, 0, 256),
	INT("worker_threads", worker_threads, 0, 256),
	ENUM("log_level", log_level, log_level_names),
	BOOL("syslog", syslog),
	INT("max_connections", max_connections, 1, 1000000),
	INT("max_connections_per_ip", max_connections_per_ip, 1, 1000000),
	INT("smtp_max_recipients", smtp_max_recipients, 1, 100000),
	INT("smtp_max_errors", smtp_max_errors, 1, 1000),
	INT("smtp_max_commands_before_mail", smtp_max_commands_before_mail, 1, 100000),
	INT("smtp_timeout", smtp_timeout, 1, 86400),
	SIZE("smtp_max_line", smtp_max_line, 512, 65536),
	INT("pop3_timeout", pop3_timeout, 1, 86400),
	INT("pop3_max_errors", pop3_max_errors, 1, 1000),
	INT("imap_timeout", imap_timeout, 1, 86400),
	INT("auth_fail_threshold", auth_fail_threshold, 0, 1000),
	INT("auth_lockout", auth_lockout, 1, 86400),
	INT("auth_cache_ttl", auth_cache_ttl, 0, 3600),
	BOOL("submission_hide_ip", submission_hide_ip),
	INT("outbound_port", outbound_port, 1, 65535),
	INT("outbound_max_connections", outbound_max_connections, 1, 1000),
	INT("outbound_max_per_domain", outbound_max_per_domain, 1, 1000),
	DURATION("outbound_connect_timeout", outbound_connect_timeout, 1, 3600),
	DURATION("outbound_timeout", outbound_timeout, 1, 3600),
	ENUM("outbound_tls", outbound_tls, outbound_tls_names),
	STR("tls_ca_file", tls_ca_file),
	ENUM("relayhost_tls", relayhost_tls, relayhost_tls_names),
	BOOL("relayhost_tls_verify", relayhost_tls_verify),
	FIELD(CT_SCHEDULE, "queue_retry_schedule", queue_retry),
	DURATION("queue_lifetime", queue_lifetime, 1, 365LL * 86400),
	BOOL("dkim_sign", dkim_sign),
};

static const char *const listen_keys[LISTEN_KIND_COUNT] = {
	"listen_smtp", "listen_submission", "listen_submissions",
	"listen_pop3", "listen_pop3s", "listen_imap", "listen_imaps"
};

const char *
config_listen_key(enum listen_kind kind)
{
	return (kind >= 0 && kind < LISTEN_KIND_COUNT) ? listen_keys[kind] : "listen_?";
}

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	str_copy(cfg->hostname, "localhost", sizeof(cfg->hostname));
	str_copy(cfg->data_dir, LOCALSTATEDIR "/posthorn", sizeof(cfg->data_dir));
	cfg->max_message_size = 50ULL * 1024 * 1024;
	cfg->plaintext_auth = PLAINTEXT_AUTH_LOOPBACK;
	cfg->map_size = 16ULL * 1024 * 1024 * 1024;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->max_connections = 10000;
	cfg->max_connections_per_ip = 100;
	cfg->smtp_max_recipients = 100;
	cfg->smtp_max_errors = 10;
	cfg->smtp_max_commands_before_mail = 100;
	cfg->smtp_timeout = 300;	/* RFC 5321 4.5.3.2.7 */
	cfg->smtp_max_line = 1000;	/* RFC 5321 4.5.3.1.6 text line incl. CRLF */
	cfg->pop3_timeout = 600;	/* RFC 1939 section 3 */
	cfg->pop3_max_errors = 10;
	cfg->imap_timeout = 1800;	/* RFC 3501 5.4 */
	cfg->auth_fail_threshold = 5;	/* per address; accounts: twice that */
	cfg->auth_lockout = 60;		/* 1 min, doubling up to 1 h */
	cfg->auth_cache_ttl = 60;
	cfg->outbound_port = 25;
	cfg->outbound_max_connections = 20;
	cfg->outbound_max_per_domain = 4;
	cfg->outbound_connect_timeout = 30;
	cfg->outbound_timeout = 300;	/* RFC 5321 4.5.3.2: 5 min per command */
	cfg->outbound_tls = OUTBOUND_TLS_MAY;
	cfg->relayhost_tls = RELAYHOST_TLS_AUTO;
	cfg->relayhost_tls_verify = 1;
	/* RFC 5321 4.5.4.1: at least 30 min between tries, give up after 4-5
	 * days; a first quick retry catches greylisting. */
	cfg->queue_retry[0] = 60;
	cfg->queue_retry[1] = 300;
	cfg->queue_retry[2] = 900;
	cfg->queue_retry[3] = 1800;
	cfg->queue_retry[4] = 3600;
	cfg->queue_retry_count = 5;
	cfg->queue_lifetime = 5 * 86400;
	cfg->dkim_sign = 1;
}

static int
config_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 0; }
		if (strcasecmp(v, no[i]) == 0) { *out = 0; return 0; }
	}
	return -1;
}

/* Split a listen_* value on commas/spaces; each item must parse as host:port. */
static int
config_parse_listen(struct config *cfg, int kind, char *v, char *why, size_t whylen)
{
	char *item, *save = NULL;
	int n = 0;

	cfg->listen_count[kind] = 0;
	if (strcasecmp(v, "none") == 0 || *v == '\0')
		return 0;
	for (item = strtok_r(v, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (n == CONFIG_MAX_LISTEN) {
			str_format(why, whylen, "more than %d addresses", CONFIG_MAX_LISTEN);
			return -1;
		}
		if (strlen(item) >= CONFIG_ADDR_MAX || parse_hostport(item, &ss, &sl) < 0) {
			str_format(why, whylen,
			    "bad address '%.80s' (expected IPv4:port or [IPv6]:port, port 1-65535)", item);
			return -1;
		}
		str_copy(cfg->listen[kind][n++], item, CONFIG_ADDR_MAX);
	}
	cfg->listen_count[kind] = n;
	return 0;
}

static int
config_set_string(const struct config_key *k, char *field, const char *v,
    char *why, size_t whylen)
{
	if (strlen(v) >= k->size) {
		str_format(why, whylen, "value too long (max %zu bytes)", k->size - 1);
		return -1;
	}
	str_copy(field, v, k->size);
	return 0;
}

static int
config_parse_enum(const struct config_key *k, const char *v, int *out,
    char *why, size_t whylen)
{
	char list[128] = "";
	int i;

	for (i = 0; k->names[i] != NULL; i++)
		if (strcasecmp(v, k->names[i]) == 0) {
			*out = i;
			return 0;
		}
	for (i = 0; k->names[i] != NULL; i++) {
		if (i > 0)
			str_append(list, k->names[i + 1] == NULL ? " or " : ", ", sizeof(list));
		str_append(list, k->names[i], sizeof(list));
	}
	str_format(why, whylen, "bad %s '%.40s' (%s)", k->name, v, list);
	return -1;
}

/* queue_retry_schedule: "1m, 5m, 15m": delays after attempt 1, 2...; the last repeats. */
static int
config_parse_schedule(struct config *cfg, char *v, char *why, size_t whylen)
{
	char *item, *save = NULL;
	uint64_t secs;
	int n = 0;

	for (item = strtok_r(v, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		if (n == CONFIG_RETRY_MAX) {
			str_format(why, whylen, "more than %d delays", CONFIG_RETRY_MAX);
			return -1;
		}
		if (parse_duration(item, &secs) < 0 || secs < 1 || secs > 7 * 86400) {
			str_format(why, whylen, "bad delay '%.40s' (1s to 7d)", item);
			return -1;
		}
		cfg->queue_retry[n++] = (int)secs;
	}
	if (n == 0) {
		str_format(why, whylen, "empty schedule");
		return -1;
	}
	cfg->queue_retry_count = n;
	return 0;
}

/*
 * dns_server must be numeric (the resolver cannot resolve its own
 * address); relayhost may be a name, and always needs its port since
 * 25, 587 and 465 all occur.
 */
static int
config_check_hostport(enum config_type type, const char *v, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[CONFIG_HOST_MAX];
	uint16_t port;

	if (*v == '\0')
		return 0;
	if (type == CT_HOSTPORT) {
		if (parse_hostport(v, &ss, &sl) == 0)
			return 0;
		str_format(why, whylen, "bad address '%.80s' (expected IPv4:port or [IPv6]:port)", v);
		return -1;
	}
	if (strpbrk(v, " \t") != NULL ||
	    split_hostport(v, host, sizeof(host), &port) < 0 || port == 0) {
		str_format(why, whylen, "bad relayhost '%.80s' (expected host:port or [address]:port)", v);
		return -1;
	}
	return 0;
}

static int
config_set(struct config *cfg, const struct config_key *k, char *v, char *why, size_t whylen)
{
	char *field = (char *)cfg + k->offset;
	uint64_t u;

	switch (k->type) {
	case CT_HOSTNAME:
		if (strpbrk(v, " \t") != NULL) {
			str_format(why, whylen, "value must not contain spaces");
			return -1;
		}
		/* FALLTHROUGH */
	case CT_STRING:
		return config_set_string(k, field, v, why, whylen);
	case CT_SIZE:
		if (parse_size(v, &u) < 0 || u < (uint64_t)k->min || u > (uint64_t)k->max) {
			str_format(why, whylen, "bad size '%.40s' (a number with optional K/M/G, %lld to %lld bytes)",
			    v, (long long)k->min, (long long)k->max);
			return -1;
		}
		if (k->size == sizeof(uint64_t)) {
			memcpy(field, &u, sizeof(u));
		} else {
			size_t z = (size_t)u;	/* the max bound keeps it in range */

			memcpy(field, &z, sizeof(z));
		}
		return 0;
	case CT_INT:
		if (parse_uint(v, (uint64_t)k->min, (uint64_t)k->max, &u) < 0) {
			str_format(why, whylen, "bad number '%.40s' (expected %lld to %lld)",
			    v, (long long)k->min, (long long)k->max);
			return -1;
		}
		*(int *)(void *)field = (int)u;
		return 0;
	case CT_BOOL:
		if (config_parse_bool(v, (int *)(void *)field) < 0) {
			str_format(why, whylen, "bad boolean '%.40s' (expected yes or no)", v);
			return -1;
		}
		return 0;
	case CT_ENUM:
		return config_parse_enum(k, v, (int *)(void *)field, why, whylen);
	case CT_DURATION:
		if (parse_duration(v, &u) < 0 || u < (uint64_t)k->min || u > (uint64_t)k->max) {
			str_format(why, whylen, "bad duration '%.40s' (seconds, or a number with s/m/h/d, %lld to %lld s)",
			    v, (long long)k->min, (long long)k->max);
			return -1;
		}
		if (k->size == sizeof(int64_t)) {
			int64_t d = (int64_t)u;

			memcpy(field, &d, sizeof(d));
		} else
			*(int *)(void *)field = (int)u;
		return 0;
	case CT_SCHEDULE:
		return config_parse_schedule(cfg, v, why, whylen);
	case CT_HOSTPORT:
	case CT_RELAYHOST:
		if (config_check_hostport(k->type, v, why, whylen) < 0)
			return -1;
		return config_set_string(k, field, v, why, whylen);
	case CT_LISTEN:
		return config_parse_listen(cfg, k->listen, v, why, whylen);
	}
	return -1;
}

/* Parse one logical line; returns 0 or -1 with why filled. */
static int
config_parse_line(struct config *cfg, char *line, char *why, size_t whylen)
{
	char *eq, *key, *val, *hash;
	size_t i;

	/*
	 * '#' starts a comment at the start of a line or after whitespace, so
	 * a password like "pa#ss" survives while "key = v  # note" works.
	 */
	for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	str_trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		str_format(why, whylen, "expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	key = str_trim(line);
	val = eq + 1;
	str_trim(val);
	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(key, config_keys[i].name) == 0)
			return config_set(cfg, &config_keys[i], val, why, whylen);
	str_format(why, whylen, "unknown key '%.60s'", key);
	return -1;
}

int
config_parse(const char *text, size_t len, const char *name,
    struct config *cfg, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX], why[256];
	size_t pos = 0, lineno = 0;

	config_defaults(cfg);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (llen >= sizeof(line)) {
			str_format(err, errlen, "%s:%zu: line too long", name, lineno);
			return -1;
		}
		if (memchr(text + pos, '\0', llen) != NULL) {
			str_format(err, errlen, "%s:%zu: NUL byte in line", name, lineno);
			return -1;
		}
		memcpy(line, text + pos, llen);
		line[llen] = '\0';
		pos += llen + (nl ? 1 : 0);
		why[0] = '\0';
		if (config_parse_line(cfg, line, why, sizeof(why)) < 0) {
			str_format(err, errlen, "%s:%zu: %s", name, lineno, why);
			return -1;
		}
	}
	if (cfg->hostname[0] == '\0' || cfg->data_dir[0] == '\0') {
		str_format(err, errlen, "%s: hostname and data_dir must not be empty", name);
		return -1;
	}
	return 0;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	FILE *fp;
	char *buf;
	size_t len;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		str_format(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = -1;
	} else if (len > CONFIG_FILE_MAX) {
		str_format(err, errlen, "%s: file larger than %d bytes", path, CONFIG_FILE_MAX);
		rc = -1;
	} else {
		rc = config_parse(buf, len, path, cfg, err, errlen);
	}
	free(buf);
	fclose(fp);
	return rc;
}
