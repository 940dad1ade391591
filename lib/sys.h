/* sys.h — small OS helpers every layer uses: files, strings, signals, sockets,
 * clocks. Every fallible function here returns 0 or a negative errno and, when
 * given an err_t, leaves a sentence in it that names what failed and why. */
#ifndef SIPLAB_SYS_H
#define SIPLAB_SYS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Write the whole buffer to path (O_WRONLY|O_TRUNC, O_CREAT when create is set). */
int sys_write_file(const char *path, const char *buf, size_t len, int create, err_t *e);
/* Write a NUL-terminated string to path, without creating it (sysctl, cgroup knobs). */
int sys_write_str(const char *path, const char *s, err_t *e);
/* Read up to cap-1 bytes of path into buf, NUL-terminated. Returns bytes or -errno. */
ssize_t sys_read_file(const char *path, char *buf, size_t cap);
/* The last max_lines lines of a file (of its last 4 kB), for an error that
 * must say why a process failed; "" when it is empty or missing. */
int sys_read_tail(const char *path, int max_lines, char *out, size_t cap);

/* mkdir -p with the given mode; an existing directory is fine. */
int sys_mkdir_p(const char *path, mode_t mode, err_t *e);
/* Remove a directory tree made by the lab (files and subdirectories). */
int sys_rm_tree(const char *path);

/* Write all bytes, retrying on EINTR and short writes. */
int sys_write_all(int fd, const void *buf, size_t len);

/* Block SIGTERM, SIGINT and SIGHUP and return a signalfd that reads them:
 * how the lab's services learn it is time to stop (or, for SIGHUP, to reload). */
int sys_stop_signalfd(void);

/* A UDP socket bound to addr:port (IPv4). Returns the fd or -errno. */
int sys_udp_listen(const char *addr, int port, err_t *e);

/* Monotonic clock in nanoseconds, for benchmarks and deadlines. */
long long sys_now_ns(void);
/* Wall clock (CLOCK_REALTIME) in microseconds: the one clock every process
 * of a run shares, so their times can be lined up. */
long long sys_wall_us(void);

/* Copy src into dst (capacity cap), always NUL-terminated; -ENAMETOOLONG if cut. */
int sys_strlcpy(char *dst, const char *src, size_t cap);

#endif
