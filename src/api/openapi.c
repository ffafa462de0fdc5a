/* api/openapi.c - /openapi.json, generated from the operation table. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static const char *const json_types[] = {"string", "integer", "number", "boolean", "object"};

static void schema(cn_jw *w, const cn_arg_spec *a)
{
    cn_jw_obj(w);
    cn_jw_key(w, "type");
    cn_jw_cstr(w, json_types[a->type]);
    if (a->min < a->max) {
        cn_jw_key(w, "minimum");
        cn_jw_f64(w, a->min);
        cn_jw_key(w, "maximum");
        cn_jw_f64(w, a->max);
    }
    cn_jw_key(w, "description");
    cn_jw_cstr(w, a->doc);
    cn_jw_obj_end(w);
}

static void operation(cn_jw *w, const cn_op *op)
{
    char status[8];
    bool body = false;
    cn_jw_obj(w);
    cn_jw_key(w, "operationId");
    cn_jw_cstr(w, op->name);
    cn_jw_key(w, "summary");
    cn_jw_cstr(w, op->summary);
    cn_jw_key(w, "parameters");
    cn_jw_arr(w);
    for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++) {
        const cn_arg_spec *a = &op->args[i];
        body |= (a->flags & CN_IN_BODY) != 0;
        if (a->flags & CN_IN_BODY)
            continue;
        cn_jw_obj(w);
        cn_jw_key(w, "name");
        cn_jw_cstr(w, a->name);
        cn_jw_key(w, "in");
        cn_jw_cstr(w, a->flags & CN_IN_PATH ? "path" : "query");
        cn_jw_key(w, "required");
        cn_jw_bool(w, (a->flags & CN_REQUIRED) != 0);
        cn_jw_key(w, "schema");
        schema(w, a);
        cn_jw_obj_end(w);
    }
    cn_jw_arr_end(w);
    if (body) {
        cn_jw_key(w, "requestBody");
        cn_jw_obj(w);
        cn_jw_key(w, "content");
        cn_jw_obj(w);
        cn_jw_key(w, "application/json");
        cn_jw_obj(w);
        cn_jw_key(w, "schema");
        cn_jw_obj(w);
        cn_jw_key(w, "type");
        cn_jw_cstr(w, "object");
        cn_jw_key(w, "required");
        cn_jw_arr(w);
        for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++)
            if ((op->args[i].flags & (CN_IN_BODY | CN_REQUIRED)) == (CN_IN_BODY | CN_REQUIRED))
                cn_jw_cstr(w, op->args[i].name);
        cn_jw_arr_end(w);
        cn_jw_key(w, "properties");
        cn_jw_obj(w);
        for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++)
            if (op->args[i].flags & CN_IN_BODY) {
                cn_jw_key(w, op->args[i].name);
                schema(w, &op->args[i]);
            }
        cn_jw_obj_end(w);
        cn_jw_obj_end(w);
        cn_jw_obj_end(w);
        cn_jw_obj_end(w);
        cn_jw_obj_end(w);
    }
    cn_jw_key(w, "responses");
    cn_jw_obj(w);
    snprintf(status, sizeof status, "%d", op->status);
    cn_jw_key(w, status);
    cn_jw_obj(w);
    cn_jw_key(w, "description");
    cn_jw_cstr(w, "success");
    cn_jw_obj_end(w);
    cn_jw_key(w, "default");
    cn_jw_obj(w);
    cn_jw_key(w, "description");
    cn_jw_cstr(w, "an error: {\"error\": {\"code\", \"message\"}, \"detail\"}");
    cn_jw_obj_end(w);
    cn_jw_obj_end(w);
    cn_jw_obj_end(w);
}

void cn_api_openapi(cn_buf *out)
{
    cn_jw w;
    cn_jw_init(&w, out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "openapi");
    cn_jw_cstr(&w, "3.0.3");
    cn_jw_key(&w, "info");
    cn_jw_obj(&w);
    cn_jw_key(&w, "title");
    cn_jw_cstr(&w, "cairn");
    cn_jw_key(&w, "version");
    cn_jw_cstr(&w, CAIRN_VERSION);
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "paths");
    cn_jw_obj(&w);
    /* one path object per path, its operations by method */
    for (size_t i = 0; i < cn_nops; i++) {
        size_t k;
        for (k = 0; k < i && strcmp(cn_ops[k].path, cn_ops[i].path); k++)
            ;
        if (k < i)
            continue; /* written with the first op of that path */
        cn_jw_key(&w, cn_ops[i].path);
        cn_jw_obj(&w);
        for (size_t j = i; j < cn_nops; j++) {
            if (strcmp(cn_ops[j].path, cn_ops[i].path))
                continue;
            char m[8];
            size_t n = strlen(cn_ops[j].method);
            for (size_t x = 0; x <= n && x < sizeof m; x++)
                m[x] = (char)(cn_ops[j].method[x] | (x < n ? 0x20 : 0));
            cn_jw_key(&w, m);
            operation(&w, &cn_ops[j]);
        }
        cn_jw_obj_end(&w);
    }
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}
