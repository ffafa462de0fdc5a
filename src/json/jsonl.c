/* json/jsonl.c - line splitting with memchr; invariant: base <= p <= end, p at a line start. */
#include "json/jsonl.h"

#include <string.h>

void cn_jsonl_init(cn_jsonl *r, cairn_str data)
{
    r->base = r->p = data.ptr;
    r->end = data.ptr + data.len;
    r->line_no = 0;
}

cairn_rc cn_jsonl_next(cn_jsonl *r, cairn_str *line)
{
    for (;;) {
        if (r->p >= r->end)
            return CAIRN_NOTFOUND;
        const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
        if (!nl)
            return CAIRN_AGAIN;
        const char *s = r->p, *e = nl;
        r->p = nl + 1;
        r->line_no++;
        if (e > s && e[-1] == '\r')
            e--;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s == e)
            continue; /* blank line */
        *line = (cairn_str){s, (size_t)(e - s)};
        return CAIRN_OK;
    }
}
