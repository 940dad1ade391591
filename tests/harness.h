/* harness.h — shared helpers for siplab's cmocka tests.
 *
 * A lab moves the calling process into new namespaces for good, so every test
 * that builds one does it in a forked child: in_child() runs the body there
 * and turns its verdict into a cmocka assertion. Inside the child, CHECK()
 * prints what did not hold and makes the child fail. */
#ifndef SIPLAB_TEST_HARNESS_H
#define SIPLAB_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#define CHILD_SKIP 77

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "    check failed at %s:%d: %s\n      ", __FILE__, \
			        __LINE__, #cond);                                          \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			return 1;                                                          \
		}                                                                          \
	} while (0)

/* Run body() in a child; fail the test unless it returns 0, skip on CHILD_SKIP. */
static inline void in_child(int (*body)(void))
{
	fflush(NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	/* exit(), not _exit(): LeakSanitizer checks the child at exit. */
	if (pid == 0)
		exit(body());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "    (%.0f ms)\n",
	        (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SKIP)
		skip();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the test's child %s %d",
		         WIFEXITED(status) ? "exited with" : "died of signal",
		         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* A cmocka test whose body (`body_NAME`) runs in a child via in_child(). */
#define CHILD_TEST(name)                      \
	static void test_##name(void **state) \
	{                                     \
		(void)state;                  \
		in_child(body_##name);        \
	}

/* Read fd to its end into out (NUL-terminated). Returns the length. */
static inline int read_all(int fd, char *out, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	char rest[4096];
	while (got + 1 < cap && (n = read(fd, out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	/* Past cap the rest is read and dropped: a writer must not die of a
	 * closed pipe because a test kept only the start of its output. */
	while (read(fd, rest, sizeof(rest)) > 0)
		;
	return (int)got;
}

/* Open file descriptors of this process, to catch fd leaks. */
static inline int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory itself */
}

#endif
