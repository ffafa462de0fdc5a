/* base/random.h - random identifiers from the kernel's CSPRNG (getrandom). */
#ifndef CN_BASE_RANDOM_H
#define CN_BASE_RANDOM_H

#include <stddef.h>

#include "cairn/err.h"

/** Fill out with 2*nbytes lowercase hex digits and a NUL (out holds 2*nbytes+1). */
cairn_rc cn_random_hex(char *out, size_t nbytes);

#endif
