/* sys.c — small OS helpers every layer uses (see sys.h). */
#define _GNU_SOURCE
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sys_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sys_write_file(const char *path, const char *buf, size_t len, int create, err_t *e)
{
	int flags = O_WRONLY | O_CLOEXEC | O_TRUNC | (create ? O_CREAT : 0);
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return err_set(e, errno, "cannot open %s: %s", path, strerror(errno));
	int rc = sys_write_all(fd, buf, len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		return err_set(e, -rc, "cannot write %s: %s", path, strerror(-rc));
	return 0;
}

int sys_write_str(const char *path, const char *s, err_t *e)
{
	return sys_write_file(path, s, strlen(s), 0, e);
}

int sys_read_tail(const char *path, int max_lines, char *out, size_t cap)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[4096];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - ((off_t)sizeof(buf) - 1) : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* Back from the end over max_lines lines; a first line cut by the
	 * window is dropped. */
	char *p = buf + n;
	for (int lines = 0; p > buf && lines < max_lines; p--)
		lines += p[-1] == '\n';
	if (p > buf || (from > 0 && strchr(p, '\n')))
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p;
	snprintf(out, cap, "%s", p);
	return 0;
}

ssize_t sys_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int sys_mkdir_p(const char *path, mode_t mode, err_t *e)
{
	char tmp[4096];
	if (sys_strlcpy(tmp, path, sizeof(tmp)) < 0)
		return err_set(e, ENAMETOOLONG, "path too long: %s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return err_set(e, errno, "cannot create directory %s: %s", tmp,
			               strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int sys_rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			rc = sys_rm_tree(sub) ? -EIO : rc;
		else if (unlink(sub) < 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

int sys_udp_listen(const char *addr, int port, err_t *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return err_set(e, EINVAL, "\"%s\": expected an IPv4 address to listen on", addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = err_set(e, errno, "cannot listen on %s:%d: %s", addr, port,
		                 strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

int sys_stop_signalfd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

long long sys_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long sys_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int sys_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);
	if (cap == 0)
		return -ENAMETOOLONG;
	if (n >= cap) {
		memcpy(dst, src, cap - 1);
		dst[cap - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}
