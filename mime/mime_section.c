/*
 * mime_section.c: BODY[section] and BINARY[section] locations (RFC 3501
 * 6.4.5): part numbers, HEADER, HEADER.FIELDS[.NOT], TEXT and MIME, with
 * the message/rfc822 rules (a message/rfc822 part's numbers refer to the
 * encapsulated message's parts; a non-multipart message has part 1 only).
 *
 * Only offsets: the caller sends msg[off..off+len) and filters header
 * fields with mime_header_fields(). Partial <origin.octets> ranges are the
 * caller's business too.
 */
#include <string.h>

#include "mime.h"
#include "mime_internal.h"

/* Parse one part number: RFC 3501 nz-number (1..4294967295). */
static int
parse_number(const char **sp, uint32_t *n_r)
{
	const char *s = *sp;
	uint64_t n = 0;

	if (*s < '1' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
		s++;
	}
	*sp = s;
	*n_r = (uint32_t)n;
	return 0;
}

/* One step down from part by number n (Dovecot's and RFC 3501's rules). */
static const struct mime_part *
step(const struct mime_part *part, uint32_t n)
{
	const struct mime_part *c;
	uint32_t i;

	if (part->kind == MIME_KIND_MESSAGE)
		part = part->children;	/* into the encapsulated message */
	if (part == NULL)
		return NULL;
	if (part->kind != MIME_KIND_MULTIPART)
		return n == 1 ? part : NULL;
	for (c = part->children, i = 1; c != NULL && i < n; i++)
		c = c->next;
	return c;
}

/*
 * Walk "1.2.3" from the root; stops before a non-digit suffix. Returns 0
 * with *part_r (NULL when the numbers name nothing), *nums_r = 1 when at
 * least one number was given, or -1 on bad syntax.
 */
static int
walk(const struct mime_part *root, const char **sp,
    const struct mime_part **part_r, int *nums_r)
{
	const struct mime_part *part = root;
	const char *s = *sp;
	uint32_t n;

	*nums_r = 0;
	while (*s >= '0' && *s <= '9') {
		if (parse_number(&s, &n) < 0)
			return -1;
		*nums_r = 1;
		if (part != NULL)
			part = step(part, n);
		if (*s == '.')
			s++;
		else if (*s != '\0')
			return -1;
		else
			break;
		if (*s == '\0')
			return -1;	/* trailing dot */
	}
	*sp = s;
	*part_r = part;
	return 0;
}

const struct mime_part *
mime_part_find(const struct mime_part *root, const char *partnum)
{
	const struct mime_part *part;
	int nums;

	if (walk(root, &partnum, &part, &nums) < 0 || *partnum != '\0')
		return NULL;
	return part;
}

static int
suffix_of(const char *s, enum mime_section_what *what_r)
{
	static const struct {
		const char		*name;
		enum mime_section_what	 what;
	} suffixes[] = {
		{ "", MIME_SECTION_ALL },
		{ "HEADER", MIME_SECTION_HEADER },
		{ "HEADER.FIELDS", MIME_SECTION_HEADER_FIELDS },
		{ "HEADER.FIELDS.NOT", MIME_SECTION_HEADER_FIELDS_NOT },
		{ "TEXT", MIME_SECTION_TEXT },
		{ "MIME", MIME_SECTION_MIME },
	};
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (mime_strcaseeq(s, suffixes[i].name)) {
			*what_r = suffixes[i].what;
			return 0;
		}
	}
	return -1;
}

int
mime_section_find(const struct mime_part *root, const char *spec,
    size_t *off_r, size_t *len_r, enum mime_section_what *what_r)
{
	const struct mime_part *part;
	enum mime_section_what what;
	int nums;

	if (walk(root, &spec, &part, &nums) < 0 ||
	    suffix_of(spec, &what) < 0)
		return MIME_SECTION_BAD;
	if (what == MIME_SECTION_MIME && !nums)
		return MIME_SECTION_BAD;
	if (what_r != NULL)
		*what_r = what;
	if (part == NULL)
		return MIME_SECTION_NOTFOUND;
	switch (what) {
	case MIME_SECTION_ALL:
		if (!nums) {
			/* BODY[]: the whole message */
			*off_r = part->hdr_off;
			*len_r = part->body_off + part->body_len - part->hdr_off;
		} else {
			*off_r = part->body_off;
			*len_r = part->body_len;
		}
		return 0;
	case MIME_SECTION_MIME:
		*off_r = part->hdr_off;
		*len_r = part->hdr_len;
		return 0;
	default:
		break;
	}
	/* HEADER / TEXT after numbers: the encapsulated message */
	if (nums && part->kind == MIME_KIND_MESSAGE && part->children != NULL)
		part = part->children;
	if (what == MIME_SECTION_TEXT) {
		*off_r = part->body_off;
		*len_r = part->body_len;
	} else {
		*off_r = part->hdr_off;
		*len_r = part->hdr_len;
	}
	return 0;
}
