/* dkim_keyring.c: (being written) */
#include <stddef.h>
