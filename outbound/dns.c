/* dns.c: (being written) */
#include <stddef.h>
