/*
 * check_mime_util.h: shared helpers of the mime/ unit tests (corpus
 * loading, CRLF conversion) and the TCase constructors of each file.
 */
#ifndef CHECK_MIME_UTIL_H
#define CHECK_MIME_UTIL_H

#include <check.h>
#include <stddef.h>

#include "mime.h"

/*
 * Load tests/unit/mime_corpus/<name>. Files are kept with LF line ends
 * and converted to CRLF (as the store keeps mail), except *.lf.eml,
 * loaded as they are. Fails the test when missing.
 */
char	*corpus_load(const char *name, size_t *len_r);
/* LF -> CRLF copy of a NUL-terminated string. */
char	*crlf(const char *s, size_t *len_r);
/* Parse s (already CRLF) and return the tree; asserts success. */
struct mime_part *parse_str(const char *s, size_t len);

/* Every corpus file, NULL-terminated. */
extern const char *const corpus_files[];

TCase	*mime_tcase_parse(void);
TCase	*mime_tcase_limits(void);
TCase	*mime_tcase_params(void);
TCase	*mime_tcase_envelope(void);
TCase	*mime_tcase_bodystructure(void);
TCase	*mime_tcase_imapstr(void);
TCase	*mime_tcase_section(void);
TCase	*mime_tcase_header_fields(void);
TCase	*mime_tcase_decode(void);
TCase	*mime_tcase_charset(void);
TCase	*mime_tcase_date(void);
TCase	*mime_tcase_search(void);
TCase	*mime_tcase_cache(void);
TCase	*mime_tcase_corpus(void);

#endif
