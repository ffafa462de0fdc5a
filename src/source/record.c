/* source/record.c - names of the record enums, from their X-macro lists. */
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "cairn/source.h"

static const char *const agent_names[] = {
    "none",
#define X(e, n) n,
    CAIRN_AGENT_MAP(X)
#undef X
};

static const char *const origin_names[] = {
#define X(e, n) n,
    CAIRN_ORIGIN_MAP(X)
#undef X
};

static const char *const part_names[] = {
#define X(e, n) n,
    CAIRN_PART_TYPE_MAP(X)
#undef X
};

static const char *const status_names[] = {
#define X(e, n) n,
    CAIRN_TOOL_STATUS_MAP(X)
#undef X
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static unsigned find(const char *const *names, unsigned n, cairn_str s)
{
    for (unsigned i = 0; i < n; i++)
        if (cn_str_eqc(s, names[i]))
            return i;
    return 0;
}

const char *cairn_agent_name(cairn_agent a)
{
    return (unsigned)a < COUNT(agent_names) ? agent_names[a] : "none";
}

cairn_agent cairn_agent_parse(cairn_str s)
{
    /* a name a person types: any case (Claude-Code) */
    if (s.len == 6 && !strncasecmp(s.ptr, "claude", 6))
        return CAIRN_AGENT_CLAUDE;
    for (unsigned i = 1; i < COUNT(agent_names); i++)
        if (strlen(agent_names[i]) == s.len && !strncasecmp(s.ptr, agent_names[i], s.len))
            return (cairn_agent)i;
    return CAIRN_AGENT_NONE;
}

const char *cairn_origin_name(cairn_origin o)
{
    return (unsigned)o < COUNT(origin_names) ? origin_names[o] : "none";
}

const char *cairn_part_type_name(cairn_part_type t)
{
    return (unsigned)t < COUNT(part_names) ? part_names[t] : "unknown";
}

cairn_part_type cairn_part_type_parse(cairn_str s)
{
    return (cairn_part_type)find(part_names, COUNT(part_names), s);
}

const char *cairn_tool_status_name(cairn_tool_status s)
{
    return (unsigned)s < COUNT(status_names) ? status_names[s] : "none";
}

cairn_tool_status cairn_tool_status_parse(cairn_str s)
{
    return (cairn_tool_status)find(status_names, COUNT(status_names), s);
}

cairn_str cairn_part_text(const cairn_part *p)
{
    switch (p->type) {
    case CAIRN_PART_TEXT:
    case CAIRN_PART_REASONING:
        return p->u.text.text;
    case CAIRN_PART_TOOL:
        return p->status == CAIRN_TOOL_ERROR ? p->u.tool.error : p->u.tool.output;
    case CAIRN_PART_SUBTASK:
        return p->u.subtask.prompt;
    case CAIRN_PART_RETRY:
        return p->u.retry.error;
    case CAIRN_PART_FILE:
        return p->u.file.source_path.ptr ? p->u.file.source_path : p->u.file.url;
    case CAIRN_PART_PATCH:
        return p->u.patch.files;
    default:
        return (cairn_str){NULL, 0};
    }
}
