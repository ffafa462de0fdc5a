/*
 * fuzz/lib/check.h - the fuzz targets' check: a failed one prints where and what, and
 * aborts, which libFuzzer reports as a crash.
 */
#ifndef CN_FUZZ_CHECK_H
#define CN_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
