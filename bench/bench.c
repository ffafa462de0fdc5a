/*
 * bench/bench.c - helpers shared by the benchmark programs (bench/bench.h).
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"

extern char **environ;

const char *bench_grp(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

double bench_secs(uint64_t t0, uint64_t t1)
{
    return (double)(t1 - t0) / 1e9;
}

uint64_t bench_hwm_kb(void)
{
    char line[256];
    uint64_t kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtoull(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

const char *bench_load(char *buf, size_t n)
{
    double l[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
        l[0] = l[1] = l[2] = 0;
    if (f)
        fclose(f);
    snprintf(buf, n, "load average %.2f %.2f %.2f", l[0], l[1], l[2]);
    return buf;
}

const char *bench_machine(char *buf, size_t n)
{
    char line[512], cpu[256] = "unknown CPU";
    double ram_kb = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) || !colon)
            continue;
        snprintf(cpu, sizeof cpu, "%s", colon + 2);
        cpu[strcspn(cpu, "\n")] = '\0';
        break;
    }
    if (f)
        fclose(f);
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "MemTotal:", 9))
            ram_kb = strtod(line + 9, NULL);
    if (f)
        fclose(f);
    snprintf(buf, n, "%ld cores, %s, %.1f GiB RAM", sysconf(_SC_NPROCESSORS_ONLN), cpu,
             ram_kb / 1048576.0);
    return buf;
}

int64_t bench_file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

double bench_free_bytes(const char *path)
{
    struct statvfs v;
    return statvfs(path, &v) == 0 ? (double)v.f_bavail * (double)v.f_frsize : 0;
}

static uint64_t warm_bytes;

static int warm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    static char buf[1 << 16];
    (void)st;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        warm_bytes += (uint64_t)n;
    if (fd >= 0)
        close(fd);
    return 0;
}

uint64_t bench_warm(const char *dir)
{
    warm_bytes = 0;
    nftw(dir, warm_one, 64, FTW_PHYS);
    return warm_bytes;
}

int bench_rm_rf(const char *path)
{
    char rm[] = "rm", rf[] = "-rf", dashes[] = "--";
    char *argv[] = {rm, rf, dashes, (char *)path, NULL};
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

int bench_mkdirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

int bench_tmpdir(const char *name, char *out, size_t n)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, n, "%s/cairn-bench-%s.XXXXXX", t && *t ? t : "/tmp", name);
    if (mkdtemp(out))
        return 0;
    fprintf(stderr, "%s: cannot create %s: %s\n", name, out, strerror(errno));
    return -1;
}

int bench_root(const char *name, const char *dir, char *out, size_t n, bool *keep)
{
    if (!dir)
        return bench_tmpdir(name, out, n);
    snprintf(out, n, "%s", dir);
    *keep = true;
    return bench_mkdirs(out);
}

double bench_pct(const double *sorted, size_t n, double p)
{
    if (!n)
        return 0;
    size_t k = (size_t)ceil(p * (double)n);
    return sorted[k ? k - 1 : 0];
}

double bench_num(const char *prog, const char *flag, const char *v)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || *end || errno || !(x > 0)) {
        fprintf(stderr, "%s: %s needs a positive number\n", prog, flag);
        exit(2);
    }
    return x;
}

void bench_row(const char *label, const char *value, const char *target, int verdict)
{
    printf("  %-46s %18s  %-14s %s\n", label, value, target,
           verdict == BENCH_NONE ? ""
           : verdict             ? "PASS"
                                 : "MISS");
}

void bench_rule(void)
{
    printf("  %-46s %18s  %-14s %s\n", "figure", "value", "target", "");
}
