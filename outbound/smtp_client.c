/* smtp_client.c: (being written) */
#include <stddef.h>
