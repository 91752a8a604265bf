/* retry.c: (being written) */
#include <stddef.h>
