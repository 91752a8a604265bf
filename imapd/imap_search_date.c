/*
 * imap_search_date.c: the dates SEARCH compares, as day numbers: IMAP
 * "date" arguments (RFC 3501 9 "date-text") and points in time.
 *
 * RFC 3501 6.4.4 compares dates "disregarding time and timezone", so a
 * time becomes the calendar day in the zone it was written in. It does not
 * parse Date: headers (mime_parse_date does) nor format dates.
 */
#include <string.h>
#include <strings.h>

#include "imap_search.h"

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int	 date_month(const char *s, size_t len);
static int	 date_number(const char *s, size_t len, int *v_r);

/* Howard Hinnant's days_from_civil: exact for every Gregorian date. */
int64_t
imap_search_day(int year, int month, int mday)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* 1..12 for a three-letter month name (case-insensitive), else 0. */
static int
date_month(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, month_names[i], 3) == 0)
			return i + 1;
	return 0;
}

/* A run of 1-4 digits. */
static int
date_number(const char *s, size_t len, int *v_r)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 0;
}

int
imap_search_parse_date(const char *s, size_t len, int64_t *day_r)
{
	const char *d1, *d2;
	int mday, month, year;

	/* date-day "-" date-month "-" date-year, day 1*2DIGIT, year 4DIGIT */
	if ((d1 = memchr(s, '-', len)) == NULL)
		return -1;
	if ((d2 = memchr(d1 + 1, '-', len - (size_t)(d1 + 1 - s))) == NULL)
		return -1;
	if (d1 - s < 1 || d1 - s > 2 ||
	    date_number(s, (size_t)(d1 - s), &mday) < 0)
		return -1;
	if ((month = date_month(d1 + 1, (size_t)(d2 - d1 - 1))) == 0)
		return -1;
	if ((size_t)(s + len - (d2 + 1)) != 4 ||
	    date_number(d2 + 1, 4, &year) < 0)
		return -1;
	if (mday < 1 || mday > 31)
		return -1;
	*day_r = imap_search_day(year, month, mday);
	return 0;
}

int64_t
imap_search_day_of(int64_t t, int tz_min)
{
	int64_t local = t + (int64_t)tz_min * 60;

	/* floor division: days before 1970 are negative */
	return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}
