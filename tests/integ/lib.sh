# shellcheck disable=SC2034  # RC and TODO_REASON are read by the scripts that source this
# tests/integ/lib.sh - small TAP helpers for the integration scripts (bash).
#
# Source it, call the assertions, end with `done_testing`, which prints the
# plan "1..N" last and exits 0 unless an assertion failed.
#
#   ok DESC / not_ok DESC [DETAIL]        a result decided by the caller
#   assert_eq ACTUAL EXPECTED DESC        string equality; shows both on failure
#   assert_contains TEXT NEEDLE DESC      fixed-string search
#   assert_match TEXT ERE DESC            grep -E search
#   skip DESC REASON                      "ok N - DESC # SKIP REASON"
#   diag TEXT                             "# TEXT" per line
#   crash_report FILE                     first sanitizer report line, or nothing
#   tree_sums DIR                         sha256 of every file but *-shm
#   expect_rc DESC WANT                   the last run ($RC, $OUT, $ERR) exited WANT, no report
#   expect_clean WHAT ERR                 $N: a run exited 0, no issue, no sanitizer report
#   check_unchanged DESC [SUMS]           $N: the copy $D is as its $WORK/$N.sums.before says
#   fts_check DESC STORE                  the FTS indexes of STORE equal a fresh index
#
# Known bugs: set TODO_REASON right before an assertion when the failure
# signature of a known bug was seen.  If that assertion then fails it is
# printed "not ok N - DESC # TODO REASON" (an expected failure: the run stays
# green and the bug stays visible); if it passes it is a plain "ok", never an
# "ok # TODO" (meson counts that as an unexpected pass).  TODO_REASON is
# cleared by every assertion.
#
# run_cairn OUT ERR ARGS... runs "$CAIRN" under `timeout 20` with stdout and
# stderr in the files OUT and ERR and leaves the exit status in RC.

TAP_N=0
TAP_FAILED=0
TODO_REASON=""

# '#' starts a TAP directive; keep it out of descriptions.
_tap_clean()
{
    local s=${1//$'\n'/ }
    printf '%s' "${s//#/no.}"
}

_tap_detail()
{
    local line
    # non-printable bytes (a garbage path, say) must not reach the TAP stream
    while IFS= read -r line; do
        printf '#   %s\n' "$line"
    done < <(LC_ALL=C tr -c '[:print:]\n' '?' <<<"$1")
}

ok()
{
    TAP_N=$((TAP_N + 1))
    printf 'ok %d - %s\n' "$TAP_N" "$(_tap_clean "$1")"
    TODO_REASON=""
}

not_ok()
{
    TAP_N=$((TAP_N + 1))
    if [ -n "$TODO_REASON" ]; then
        printf 'not ok %d - %s # TODO %s\n' "$TAP_N" "$(_tap_clean "$1")" "$(_tap_clean "$TODO_REASON")"
    else
        printf 'not ok %d - %s\n' "$TAP_N" "$(_tap_clean "$1")"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
    [ -n "${2:-}" ] && _tap_detail "$2"
    TODO_REASON=""
    return 0
}

skip()
{
    TAP_N=$((TAP_N + 1))
    printf 'ok %d - %s # SKIP %s\n' "$TAP_N" "$(_tap_clean "$1")" "$(_tap_clean "$2")"
    TODO_REASON=""
}

diag()
{
    local line
    while IFS= read -r line; do
        printf '# %s\n' "$line"
    done < <(LC_ALL=C tr -c '[:print:]\n' '?' <<<"$1")
}

assert_eq()
{
    if [ "$1" == "$2" ]; then
        ok "$3"
    else
        not_ok "$3" "expected: $(head -c 2000 <<<"$2")"$'\n'"actual:   $(head -c 2000 <<<"$1")"
    fi
}

assert_contains()
{
    if [[ "$1" == *"$2"* ]]; then
        ok "$3"
    else
        not_ok "$3" "expected to find: $2"$'\n'"in: $(head -c 2000 <<<"$1")"
    fi
}

assert_match()
{
    if grep -aqE -- "$2" <<<"$1"; then
        ok "$3"
    else
        not_ok "$3" "expected a match for: $2"$'\n'"in: $(head -c 2000 <<<"$1")"
    fi
}

done_testing()
{
    printf '1..%d\n' "$TAP_N"
    [ "$TAP_FAILED" -eq 0 ]
    exit $?
}

run_cairn()
{
    local out=$1 err=$2
    shift 2
    RC=0
    # the group's 2>/dev/null keeps bash's own "Aborted" notice off stderr
    { timeout 20 "$CAIRN" "$@" >"$out" 2>"$err" || RC=$?; } 2>/dev/null
}

# The first line of a sanitizer report in the file named (empty if none).
crash_report()
{
    local pat='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
    { grep -a -m1 -E "ERROR: ($pat)" "$1" || grep -a -m1 -E "$pat" "$1"; } 2>/dev/null || true
}

# Checksums of every file under DIR except SQLite's -shm index, sorted by path.
tree_sums()
{
    (cd "$1" && find . -type f ! -name '*-shm' -print0 | sort -z | xargs -0 -r sha256sum)
}

# require_tools TOOL...: "Bail out!" (the whole script fails) if one is missing.
require_tools()
{
    local t
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            printf 'Bail out! %s is required\n' "$t"
            exit 1
        fi
    done
}

HAVE_SQLITE3=0
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE3=1

# expect_rc DESC WANT: the last run ($RC; stdout in $OUT, stderr in $ERR) exited WANT
# without a sanitizer report.
expect_rc()
{
    local crash
    crash=$(crash_report "$ERR")
    if [ "$RC" = "$2" ] && [ -z "$crash" ]; then
        ok "$1"
    else
        not_ok "$1" "exit $RC (want $2); stdout: $(head -c 600 "$OUT")"$'\n'"stderr: $(head -c 1500 "$ERR")"
    fi
}

# expect_clean WHAT ERR: the run of fixture set $N ($RC, stderr in ERR) succeeded cleanly:
# exit 0, no issue lines, no sanitizer report.
expect_clean()
{
    local what=$1 err=$2 crash
    crash=$(crash_report "$err")
    if [ "$RC" = 0 ] && [ -z "$crash" ] && ! grep -aq 'cairn: issue:' "$err"; then
        ok "$N: $what exits 0 without issues"
    else
        not_ok "$N: $what exits 0 without issues" "exit $RC; stderr: $(head -c 1500 "$err")"
    fi
}

# check_unchanged DESC [SUMS]: the copy $D of fixture set $N is as $WORK/$N.sums.before
# recorded it, listed by the function SUMS (tree_sums by default).
check_unchanged()
{
    local d
    "${2:-tree_sums}" "$D" >"$WORK/$N.sums.after"
    d=$(diff "$WORK/$N.sums.before" "$WORK/$N.sums.after")
    if [ -z "$d" ]; then
        ok "$N: $1"
    else
        not_ok "$N: $1" "$d"
    fi
}

# fts_check DESC STORE: the full-text indexes of STORE hold exactly what a fresh index of
# the content tables would (every term of every row, at the same offsets), no more, no less.
fts_check()
{
    if [ "$HAVE_SQLITE3" != 1 ]; then
        skip "$1" "sqlite3 CLI not installed"
        return
    fi
    local tmp=$WORK/fts.db d
    rm -f "$tmp" "$tmp-wal" "$tmp-shm"
    cp "$2/cairn.db" "$tmp"
    [ -f "$2/cairn.db-wal" ] && cp "$2/cairn.db-wal" "$tmp-wal"
    d=$(sqlite3 "$tmp" 2>&1 <<'SQL'
CREATE VIRTUAL TABLE temp.chk_p USING fts5(body, input, paths, tool, tokenize='unicode61 remove_diacritics 2');
INSERT INTO temp.chk_p(rowid, body, input, paths, tool) SELECT id, body, input, paths, tool FROM parts
  WHERE body IS NOT NULL OR input IS NOT NULL OR paths IS NOT NULL OR tool IS NOT NULL;
CREATE VIRTUAL TABLE temp.chk_s USING fts5(title, directory, tokenize='unicode61 remove_diacritics 2');
INSERT INTO temp.chk_s(rowid, title, directory) SELECT id, title, directory FROM sessions;
CREATE VIRTUAL TABLE temp.v_p USING fts5vocab(main, fts_parts, instance);
CREATE VIRTUAL TABLE temp.w_p USING fts5vocab(temp, chk_p, instance);
CREATE VIRTUAL TABLE temp.v_s USING fts5vocab(main, fts_sessions, instance);
CREATE VIRTUAL TABLE temp.w_s USING fts5vocab(temp, chk_s, instance);
SELECT 'fts_parts has extra', * FROM (SELECT * FROM temp.v_p EXCEPT SELECT * FROM temp.w_p) LIMIT 5;
SELECT 'fts_parts lacks', * FROM (SELECT * FROM temp.w_p EXCEPT SELECT * FROM temp.v_p) LIMIT 5;
SELECT 'fts_sessions has extra', * FROM (SELECT * FROM temp.v_s EXCEPT SELECT * FROM temp.w_s) LIMIT 5;
SELECT 'fts_sessions lacks', * FROM (SELECT * FROM temp.w_s EXCEPT SELECT * FROM temp.v_s) LIMIT 5;
SELECT 'checked ' || (SELECT count(*) > 0 FROM parts);
SQL
)
    rm -f "$tmp" "$tmp-wal" "$tmp-shm"
    assert_eq "$d" "checked 1" "$1"
}
