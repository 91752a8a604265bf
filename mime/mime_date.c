/*
 * mime_date.c: RFC 5322 3.3 date-time parsing, with the obsolete forms of
 * 4.3 (no day name, 2- and 3-digit years, no seconds, named and military
 * zones, comments anywhere), for SEARCH SENTBEFORE/SENTON/SENTSINCE and
 * sorting by Date.
 *
 * Only parses; never formats (INTERNALDATE is imapd's business). No libc
 * time zone functions: the result does not depend on TZ.
 */
#include <string.h>

#include "mime.h"
#include "mime_internal.h"

struct date_tok {
	struct mime_lex	 l;
	char		 word[16];
	long		 num;
	int		 digits;	/* digits of a number token, 0 if not */
};

/* Next token: a word (letters), a number, or one punctuation char. */
static int
next_tok(struct date_tok *t)
{
	size_t n = 0;

	mime_lex_skip_cfws(&t->l, NULL);
	t->word[0] = '\0';
	t->digits = 0;
	t->num = 0;
	if (mime_lex_eof(&t->l))
		return 0;
	if (*t->l.p >= '0' && *t->l.p <= '9') {
		while (!mime_lex_eof(&t->l) && *t->l.p >= '0' &&
		    *t->l.p <= '9') {
			if (t->digits < 9)
				t->num = t->num * 10 + (*t->l.p - '0');
			t->digits++;
			t->l.p++;
		}
		return 1;
	}
	if ((*t->l.p | 0x20) >= 'a' && (*t->l.p | 0x20) <= 'z') {
		while (!mime_lex_eof(&t->l) && (*t->l.p | 0x20) >= 'a' &&
		    (*t->l.p | 0x20) <= 'z') {
			if (n + 1 < sizeof(t->word))
				t->word[n++] = (char)mime_tolower(*t->l.p);
			t->l.p++;
		}
		t->word[n] = '\0';
		return 1;
	}
	t->word[0] = *t->l.p++;
	t->word[1] = '\0';
	return 1;
}

static int
month_of(const char *w)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr",
	    "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	int i;

	for (i = 0; i < 12; i++) {
		if (strncmp(w, months[i], 3) == 0)
			return i + 1;
	}
	return 0;
}

/* RFC 5322 4.3 obs-zone. */
static int
named_zone(const char *w, int *min_r)
{
	static const struct {
		const char	*name;
		int		 hours;
	} zones[] = {
		{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strcmp(w, zones[i].name) == 0) {
			*min_r = zones[i].hours * 60;
			return 0;
		}
	}
	/* 4.3: military and other alphabetic zones are "-0000" (unknown);
	 * the time is still worth having */
	*min_r = 0;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
parse_zone(struct date_tok *t, int *tz_r)
{
	int sign;

	*tz_r = 0;
	if (!next_tok(t))
		return 0;		/* no zone: take it as UTC */
	if (t->word[0] == '+' || t->word[0] == '-') {
		sign = t->word[0] == '-' ? -1 : 1;
		if (!next_tok(t) || t->digits != 4 || t->num % 100 > 59 ||
		    t->num / 100 > 23)
			return -1;
		*tz_r = sign * (int)(t->num / 100 * 60 + t->num % 100);
		return 0;
	}
	return t->word[0] != '\0' && t->digits == 0 ?
	    named_zone(t->word, tz_r) : -1;
}

int
mime_parse_date(const char *value, size_t len, int64_t *t_r, int *tz_min_r)
{
	struct date_tok t;
	long day, year, hour, min, sec = 0;
	int month, tz;

	mime_lex_init(&t.l, value, len);
	if (!next_tok(&t))
		return -1;
	if (t.digits == 0) {
		/* day-of-week "," */
		if (!next_tok(&t))
			return -1;
		if (t.word[0] == ',' && !next_tok(&t))
			return -1;
	}
	if (t.digits < 1 || t.digits > 2 || t.num < 1 || t.num > 31)
		return -1;
	day = t.num;
	if (!next_tok(&t) || (month = month_of(t.word)) == 0)
		return -1;
	if (!next_tok(&t) || t.digits < 2 || t.digits > 4)
		return -1;
	year = t.num;
	if (t.digits == 2)
		year += year < 50 ? 2000 : 1900;	/* 4.3 */
	else if (t.digits == 3)
		year += 1900;
	if (!next_tok(&t) || t.digits < 1 || t.digits > 2 || t.num > 23)
		return -1;
	hour = t.num;
	if (!next_tok(&t) || t.word[0] != ':' || !next_tok(&t) ||
	    t.digits != 2 || t.num > 59)
		return -1;
	min = t.num;
	/* optional ":ss" then the zone */
	{
		struct date_tok save = t;

		if (next_tok(&t) && t.word[0] == ':') {
			if (!next_tok(&t) || t.digits != 2 || t.num > 60)
				return -1;
			sec = t.num;
		} else
			t = save;
	}
	if (parse_zone(&t, &tz) < 0)
		return -1;
	*t_r = days_from_civil(year, month, (int)day) * 86400 +
	    hour * 3600 + min * 60 + sec - (int64_t)tz * 60;
	if (tz_min_r != NULL)
		*tz_min_r = tz;
	return 0;
}
