/* base/random.c - getrandom(2), retried on EINTR and short reads. */
#include "base/random.h"

#include <errno.h>
#include <sys/random.h>

cairn_rc cn_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char buf[64];
    size_t got = 0;
    if (nbytes > sizeof buf)
        return CAIRN_INVAL;
    while (got < nbytes) {
        ssize_t r = getrandom(buf + got, nbytes - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return CAIRN_IO;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return CAIRN_OK;
}
