#!/usr/bin/env python3
"""bench/watch.py CAIRN [BASELINE_CAIRN] - freshness of `cairn watch` (issue 7, "Benchmark").

A temp Claude config dir gets two transcripts of a few prompts each, in Claude
Code's JSONL shape, beside WATCH_IDLE idle transcripts (a user's history: they
do not change, but a watcher that re-plans the whole source stats them all on
every change); `cairn watch` runs over it.  Then:
  freshness - N single-line appends (a user prompt with a unique word), one at a
              time, while a background thread appends 100 lines/s to another
              transcript; each is timed from the write to the word being in
              cairn's FTS index (read straight from cairn.db, read-only, every
              2 ms).  p50 / p99 / max.
  idle CPU  - cairn watch's CPU time over 10 s with no writes.
  burst     - B new transcripts written at once; the time until all are indexed.
Prints a table and PASS/MISS against p99 <= 100 ms, idle CPU <= 1 %, burst <= 10 s.
With BASELINE_CAIRN (another build), the freshness run is repeated with it in the
same run, over the same files, and the ratio printed.
Environment: WATCH_N (1000), WATCH_BURST (20000), WATCH_IDLE (5000).
"""
import json, os, shutil, sqlite3, subprocess, sys, tempfile, threading, time, uuid

cairn = sys.argv[1]
N = int(os.environ.get("WATCH_N", "1000"))
BURST = int(os.environ.get("WATCH_BURST", "20000"))
IDLE = int(os.environ.get("WATCH_IDLE", "5000"))
baseline = sys.argv[2] if len(sys.argv) > 2 else None
tmp = tempfile.mkdtemp(prefix="cairn-bench-watch.")
proj = os.path.join(tmp, "cl", "projects", "-bench")
os.makedirs(proj)
data = os.path.join(tmp, "store")
def transcript(path, sid):
    for i in range(5):
        prompt(path, sid, "opening%d" % i)


def prompt(path, sid, word):
    line = {"type": "user", "uuid": str(uuid.uuid4()), "parentUuid": None, "sessionId": sid,
            "timestamp": "2026-11-21T06:00:00.000Z", "cwd": "/bench",
            "message": {"role": "user", "content": word + " measured prompt"}}
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


main_path, load_path = os.path.join(proj, "main.jsonl"), os.path.join(proj, "load.jsonl")
main_sid, load_sid = str(uuid.uuid4()), str(uuid.uuid4())
transcript(main_path, main_sid)
transcript(load_path, load_sid)
idle_dir = os.path.join(tmp, "cl", "projects", "-idle")
os.makedirs(idle_dir)
for i in range(IDLE):
    sid = str(uuid.uuid4())
    prompt(os.path.join(idle_dir, sid + ".jsonl"), sid, "idleword%d" % i)


def start(exe, store):
    return subprocess.Popen([exe, "watch", "--source", "claude=" + os.path.join(tmp, "cl"),
                             "--data-dir", store, "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def db(store):
    path = os.path.join(store, "cairn.db")
    while not os.path.exists(path):
        time.sleep(0.01)
    return sqlite3.connect("file:" + path + "?mode=ro", uri=True, timeout=5)


def indexed(con, word):
    try:
        return con.execute("SELECT count(*) FROM fts_parts WHERE fts_parts MATCH ?",
                           (word,)).fetchone()[0] > 0
    except sqlite3.OperationalError:  # busy, or the schema not made yet
        return False


def caught_up(con):
    while True:
        try:
            if con.execute("SELECT count(*) FROM sessions").fetchone()[0] >= IDLE + 2:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)


def freshness(con, tag):
    """N timed appends under 100 appends/s to another transcript: (sorted ms, missed)."""
    stop = threading.Event()

    def load():
        i = 0
        while not stop.is_set():
            prompt(load_path, load_sid, "loadword%s%d" % (tag, i))
            i += 1
            time.sleep(0.01)

    th = threading.Thread(target=load)
    th.start()
    lat, missed = [], 0
    for i in range(N):
        word = "freshword%s%d" % (tag, i)
        t0 = time.perf_counter()
        prompt(main_path, main_sid, word)
        while not indexed(con, word):
            if time.perf_counter() - t0 > 10:
                missed += 1
                break
            time.sleep(0.002)
        else:
            lat.append((time.perf_counter() - t0) * 1000)
    stop.set()
    th.join()
    return sorted(lat), missed


def pct(lat, q):
    return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")


base = None
if baseline:  # the same measure with the other build first, on its own store
    bproc = start(baseline, os.path.join(tmp, "store-baseline"))
    bcon = db(os.path.join(tmp, "store-baseline"))
    caught_up(bcon)
    time.sleep(1.0)
    base = freshness(bcon, "b")
    bproc.terminate()
    bproc.wait()
    bcon.close()

proc = start(cairn, data)
con = db(data)
caught_up(con)
time.sleep(1.0)
lat, missed = freshness(con, "")
p = lambda q: pct(lat, q)

time.sleep(1.0)
with open("/proc/%d/stat" % proc.pid) as f:
    a = f.read().split(")")[-1].split()
cpu0, t0 = int(a[11]) + int(a[12]), time.perf_counter()
time.sleep(10)
with open("/proc/%d/stat" % proc.pid) as f:
    a = f.read().split(")")[-1].split()
idle = (int(a[11]) + int(a[12]) - cpu0) / os.sysconf("SC_CLK_TCK") / (time.perf_counter() - t0)

t0 = time.perf_counter()
bdir = os.path.join(tmp, "cl", "projects", "-burst")
os.makedirs(bdir)
for i in range(BURST):
    sid = str(uuid.uuid4())
    with open(os.path.join(bdir, sid + ".jsonl"), "w") as f:
        f.write(json.dumps({"type": "user", "uuid": str(uuid.uuid4()), "parentUuid": None,
                            "sessionId": sid, "timestamp": "2026-11-21T06:00:00.000Z",
                            "cwd": "/bench", "message": {"role": "user",
                                                         "content": "burstword%d" % i}}) + "\n")
written = time.perf_counter() - t0
burst_s = None
while time.perf_counter() - t0 < 120:
    try:
        n = con.execute("SELECT count(*) FROM sessions").fetchone()[0] - IDLE - 2
    except sqlite3.OperationalError:
        n = 0
    if n >= BURST:
        burst_s = time.perf_counter() - t0
        break
    time.sleep(0.05)
proc.terminate()
proc.wait()
shutil.rmtree(tmp)

ok = lambda b: "PASS" if b else "MISS"
print("freshness over %d appends under 100 appends/s of load, %d idle transcripts beside: "
      "p50 %.1f ms, p99 %.1f ms, max %.1f ms, not indexed within 10 s: %d"
      % (N, IDLE, p(0.5), p(0.99), lat[-1] if lat else 0, missed))
if base:
    bl, bm = base
    print("  baseline %s, same files, same load: p50 %.1f ms, p99 %.1f ms, max %.1f ms, "
          "missed %d; p99 ratio baseline/this %.2fx"
          % (baseline, pct(bl, 0.5), pct(bl, 0.99), bl[-1] if bl else 0, bm,
             pct(bl, 0.99) / p(0.99) if lat else float("nan")))
print("  target p99 <= 100 ms: %s" % ok(lat and p(0.99) <= 100 and not missed))
print("idle CPU over 10 s: %.2f %%   target <= 1 %%: %s" % (idle * 100, ok(idle <= 0.01)))
if burst_s is None:
    print("burst of %d new transcripts: not all indexed within 120 s (written in %.1f s)"
          "   target <= 10 s: MISS" % (BURST, written))
else:
    print("burst of %d new transcripts: all indexed %.1f s after the first write (written in "
          "%.1f s)   target <= 10 s: %s" % (BURST, burst_s, written, ok(burst_s <= 10)))
