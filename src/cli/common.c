/* cli/common.c - loading sources for a command, printing issues, small output helpers. */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/utf8.h"
#include "cli/cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("cairn: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The sources a command reads: --source ones, else the discovered ones that exist. */
size_t cli_pick_sources(cli *c)
{
    if (c->sources_given)
        return c->nsources;
    size_t n = CLI_MAX_SOURCES;
    cairn_source found[CLI_MAX_SOURCES];
    cairn_sources_discover(found, &n, NULL);
    c->nsources = 0;
    for (size_t i = 0; i < n; i++)
        if (cairn_source_exists(&found[i]))
            c->sources[c->nsources++] = found[i];
    return c->nsources;
}

int cli_load_all(cli *c, cli_load *l)
{
    memset(l, 0, sizeof *l);
    if (!(l->rep = cairn_report_new())) {
        cli_error("out of memory");
        return EXIT_FATAL;
    }
    cli_pick_sources(c);
    for (size_t i = 0; i < c->nsources; i++) {
        cairn_err e;
        cairn_batch *b;
        if (c->agent && c->sources[i].agent != c->agent)
            continue;
        if (cairn_source_load(&c->sources[i], &b, l->rep, &e)) {
            if (e.rc == CAIRN_NOMEM || c->sources_given) {
                cli_error("%s", e.msg);
                return EXIT_FATAL;
            }
            cairn_report_add(l->rep, e.rc, c->sources[i].path, e.msg);
            continue;
        }
        l->batches[l->n++] = b;
    }
    return EXIT_OK;
}

void cli_load_free(cli_load *l)
{
    for (size_t i = 0; i < l->n; i++)
        cairn_batch_free(l->batches[i]);
    cairn_report_free(l->rep);
    memset(l, 0, sizeof *l);
}

void cli_print_issues_if(const cli *c, const cairn_report *rep, bool (*keep)(const cairn_issue *))
{
    size_t n = cairn_report_count(rep), shown = 0, more = 0;
    if (c->quiet)
        return;
    for (size_t i = 0; i < n; i++) {
        const cairn_issue *is = cairn_report_get(rep, i);
        if (keep && !keep(is))
            continue;
        if (c->verbose || shown < 20) {
            fprintf(stderr, "cairn: issue: %s: %s\n", is->where, is->what);
            shown++;
        } else {
            more++;
        }
    }
    if (more)
        fprintf(stderr, "cairn: ... and %zu more issues (--verbose shows all)\n", more);
}

void cli_print_issues(const cli *c, const cairn_report *rep)
{
    cli_print_issues_if(c, rep, NULL);
}

int cli_status(const cairn_report *rep)
{
    return cairn_report_count(rep) ? EXIT_ISSUES : EXIT_OK;
}

void cli_put_json(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
    fputc('\n', stdout);
}

void cli_put_line(FILE *f, cairn_str s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s.ptr, *end = p + s.len;
    size_t out = 0;
    if (!s.ptr)
        return;
    while (p < end && out < max) {
        if (*p < 0x80) {
            fputc(*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : (*p < 0x20 ? '?' : *p), f);
            p++;
            out++;
            continue;
        }
        size_t k = cn_utf8_check(p, end);
        if (!k) {
            fputc('?', f);
            p++;
        } else {
            fwrite(p, 1, k, f);
            p += k;
        }
        out++;
    }
    if (p < end)
        fputs("…", f);
}

const char *cli_time(int64_t ms, char *buf, size_t n)
{
    if (ms <= 0)
        return "-";
    cn_time_iso(ms, buf, n);
    if (n > 16) {
        buf[10] = ' ';
        buf[16] = '\0'; /* "2026-11-21 05:44" */
    }
    return buf;
}

void cli_store_error(const cairn_err *e)
{
    if (e->rc == CAIRN_BUSY)
        cli_error("%s (another cairn - an ingest, watch or serve - held the store for 5 s); "
                  "run it again",
                  e->msg);
    else
        cli_error("%s", e->msg);
}

bool cli_newer_copy(const cairn_session *a, const cairn_session *b)
{
    return a->time_updated_ms > b->time_updated_ms;
}

int cli_open_store(cli *c, unsigned flags, cairn_store **s)
{
    cairn_err e;
    if (cairn_store_open(c->data_dir, flags, s, &e)) {
        cli_error("%s", e.msg);
        return EXIT_FATAL;
    }
    return EXIT_OK;
}

void cli_json_begin(cn_buf *out, cn_jw *w)
{
    cn_buf_init(out, (size_t)1 << 30);
    cn_jw_init(w, out, false);
}

void cli_json_end(cn_buf *out, cn_jw *w)
{
    if (cn_jw_finish(w) == CAIRN_OK)
        cli_put_json(out->ptr, out->len);
    else
        cli_error("output too large for JSON (over 1 GiB)");
    cn_buf_release(out);
}

void cli_jw_tokens(cn_jw *w, const cairn_tokens *t)
{
    cn_jw_obj(w);
    cn_jw_key(w, "input");
    cn_jw_i64(w, t->input);
    cn_jw_key(w, "output");
    cn_jw_i64(w, t->output);
    cn_jw_key(w, "reasoning");
    cn_jw_i64(w, t->reasoning);
    cn_jw_key(w, "cache_read");
    cn_jw_i64(w, t->cache_read);
    cn_jw_key(w, "cache_write");
    cn_jw_i64(w, t->cache_write);
    cn_jw_obj_end(w);
}
