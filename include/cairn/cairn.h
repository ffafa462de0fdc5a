/*
 * cairn/cairn.h - the umbrella header of libcairn, the local-first memory
 * engine for AI coding agents.
 *
 *   err.h       the one error type (cairn_rc, cairn_err)
 *   str.h       string views (cairn_str)
 *   record.h    the common record model: project, session, message, part
 *   source.h    reading agent histories: plan -> resolve -> hydrate
 *   registry.h  the hot in-memory registry of loaded records
 */
#ifndef CAIRN_H
#define CAIRN_H

#define CAIRN_VERSION "0.1.0"

#include "cairn/err.h"
#include "cairn/memory.h"
#include "cairn/record.h"
#include "cairn/registry.h"
#include "cairn/search.h"
#include "cairn/source.h"
#include "cairn/store.h"
#include "cairn/str.h"
#include "cairn/usage.h"

#endif
