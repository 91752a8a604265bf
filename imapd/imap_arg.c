/*
 * imap_arg.c: typed access to parsed arguments (RFC 3501 section 9 names:
 * astring, string, nstring, number). The parser keeps NIL as an atom; only
 * a command knows which of these it expects.
 */
#include <string.h>
#include <strings.h>

#include "imap.h"

int
imap_arg_is_nil(const struct imap_arg *a)
{
	return imap_arg_atom_is(a, "NIL");
}

int
imap_arg_atom_is(const struct imap_arg *a, const char *word)
{
	return a != NULL && a->type == IMAP_ARG_ATOM &&
	    strcasecmp(a->str, word) == 0;
}

const char *
imap_arg_astring(const struct imap_arg *a, size_t *len_r)
{
	if (a == NULL || a->type == IMAP_ARG_LIST)
		return NULL;
	if (memchr(a->str, '\0', a->len) != NULL)
		return NULL;
	if (len_r != NULL)
		*len_r = a->len;
	return a->str;
}

const char *
imap_arg_string(const struct imap_arg *a, size_t *len_r)
{
	if (a == NULL || (a->type != IMAP_ARG_QUOTED && a->type != IMAP_ARG_LITERAL))
		return NULL;
	if (len_r != NULL)
		*len_r = a->len;
	return a->str;
}

const char *
imap_arg_nstring(const struct imap_arg *a, size_t *len_r, int *is_nil_r)
{
	*is_nil_r = 0;
	if (imap_arg_is_nil(a)) {
		*is_nil_r = 1;
		if (len_r != NULL)
			*len_r = 0;
		return NULL;
	}
	return imap_arg_string(a, len_r);
}

int
imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *val_r)
{
	uint64_t v = 0;
	size_t i;

	if (a == NULL || a->type != IMAP_ARG_ATOM || a->len == 0 || a->len > 20)
		return 0;
	for (i = 0; i < a->len; i++) {
		unsigned d;

		if (a->str[i] < '0' || a->str[i] > '9')
			return 0;
		d = (unsigned)(a->str[i] - '0');
		if (d > max || v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*val_r = v;
	return 1;
}
