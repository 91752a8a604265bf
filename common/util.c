/*
 * util.c: checked allocation, bounded strings, number/address parsing and
 * time, shared by every module. No protocol knowledge here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory reallocating %zu bytes", size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("allocation overflow: %zu x %zu", nmemb, size);
	return xrealloc(ptr, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xmemdup(const void *p, size_t len)
{
	char *d = xmalloc(len + 1);

	if (len > 0)
		memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

size_t
str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
str_append(char *dst, const char *src, size_t dstsize)
{
	size_t dlen = strnlen(dst, dstsize);

	if (dlen == dstsize)
		return dlen + strlen(src);
	return dlen + str_copy(dst + dlen, src, dstsize - dlen);
}

int
str_format(char *dst, size_t dstsize, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsize, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= dstsize) ? -1 : 0;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

char *
str_trim(char *s)
{
	char *start = s, *end;

	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

int
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *val_r)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*val_r = v;
	return 0;
}

/* A unit suffix and its multiplier. */
struct unit_suffix {
	char		 suffix;
	uint64_t	 mult;
};

/* A decimal number with at most one suffix from units (none: mult 1). */
static int
parse_scaled(const char *s, const struct unit_suffix *units, size_t n_units,
    uint64_t *val_r)
{
	char digits[32];
	size_t len = strlen(s), i;
	uint64_t mult = 1, v;

	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, s, len + 1);
	for (i = 0; i < n_units; i++)
		if (digits[len - 1] == units[i].suffix) {
			mult = units[i].mult;
			digits[len - 1] = '\0';
			break;
		}
	if (parse_uint(digits, 0, UINT64_MAX, &v) < 0 || v > UINT64_MAX / mult)
		return -1;
	*val_r = v * mult;
	return 0;
}

int
parse_size(const char *s, uint64_t *size_r)
{
	static const struct unit_suffix units[] = {
		{ 'k', 1ULL << 10 }, { 'K', 1ULL << 10 }, { 'm', 1ULL << 20 },
		{ 'M', 1ULL << 20 }, { 'g', 1ULL << 30 }, { 'G', 1ULL << 30 },
		{ 't', 1ULL << 40 }, { 'T', 1ULL << 40 },
	};

	return parse_scaled(s, units, sizeof(units) / sizeof(units[0]), size_r);
}

int
parse_duration(const char *s, uint64_t *secs_r)
{
	static const struct unit_suffix units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};

	return parse_scaled(s, units, sizeof(units) / sizeof(units[0]), secs_r);
}

int
split_hostport(const char *s, char *host, size_t hostsize, uint16_t *port_r)
{
	const char *end, *colon;
	uint64_t port = 0;
	size_t hlen;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return -1;
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= hostsize)
		return -1;
	if (colon != NULL && parse_uint(colon + 1, 1, 65535, &port) < 0)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	*port_r = (uint16_t)port;
	return 0;
}

int
parse_hostport(const char *s, struct sockaddr_storage *ss_r, socklen_t *len_r)
{
	char host[64];
	const char *colon, *portstr;
	uint64_t port;
	size_t hlen;

	memset(ss_r, 0, sizeof(*ss_r));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		portstr = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			return -1;
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		portstr = colon + 1;
	}
	if (parse_uint(portstr, 1, 65535, &port) < 0)
		return -1;
	if (s[0] != '[' && (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss_r;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		*len_r = sizeof(*sin);
		return 0;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss_r;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*sin6);
		return 0;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss_r;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*sin);
		return 0;
	}
}

void
sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t buflen)
{
	const void *addr;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* Log v4 clients of a dual-stack socket as plain v4. */
			addr = &sin6->sin6_addr.s6_addr[12];
			if (inet_ntop(AF_INET, addr, buf, (socklen_t)buflen) == NULL)
				str_copy(buf, "?", buflen);
			return;
		}
		addr = &sin6->sin6_addr;
	} else if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	} else {
		str_copy(buf, "local", buflen);
		return;
	}
	if (inet_ntop(sa->sa_family, addr, buf, (socklen_t)buflen) == NULL)
		str_copy(buf, "?", buflen);
}

int
sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return sin6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

uint64_t
time_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
random_u64(void)
{
	uint64_t v;

	/* randombytes_buf needs no sodium_init() for correctness, but the
	 * init also picks the fastest implementation; it is idempotent. */
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	randombytes_buf(&v, sizeof(v));
	return v;
}

void
rfc5322_date(char *buf, size_t len, time_t when, int utc)
{
	/* Names spelled out: strftime's %a/%b follow the locale. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	long		 off = 0;
	char		 sign = '+';

	if ((utc ? gmtime_r(&when, &tm) : localtime_r(&when, &tm)) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (!utc)
		off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	if (str_format(buf, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60) < 0)
		fatalx("rfc5322_date: buffer too small");
}
