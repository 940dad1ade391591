/* labrun.h — helpers for tests that run programs inside a lab: start the
 * standard topology, run a command in a host and capture what it prints. */
#ifndef SIPLAB_TEST_LABRUN_H
#define SIPLAB_TEST_LABRUN_H

#include "harness.h"

#include <fcntl.h>
#include <signal.h>

#include "../netns/lab.h"
#include "../netns/topo.h"

static inline const char *siplab_bin(void)
{
	const char *s = getenv("SIPLAB");
	return s && *s ? s : "build/siplab";
}

/* Bring up the standard topology (1 worker, optionally behind NAT). */
static inline int std_lab_up_nat(struct lab *lab, int nat)
{
	char *json = topo_standard_json(1, nat);
	struct topo *t;
	err_t e;
	char dir[PATH_MAX], user[PATH_MAX - 64];
	if (!json || topo_parse(json, "standard", &t, &e)) {
		free(json);
		return -1;
	}
	free(json);
	if (sandbox_user_dir(user, sizeof(user), &e))
		return -1;
	snprintf(dir, sizeof(dir), "%s/test.%d", user, (int)getpid());
	if (lab_up(lab, t, dir, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	return 0;
}

static inline int std_lab_up(struct lab *lab)
{
	return std_lab_up_nat(lab, 0);
}

/* Start a long-running lab service (its output to a file in the runtime dir)
 * and wait until it is ready as r says. */
static inline struct lab_proc *start_service_as(struct lab *lab, const char *host,
                                                char *const argv[], const struct lab_ready *r)
{
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s/%s.%s.log", lab->sb.rundir, host, argv[1]);
	struct lab_proc *p = NULL;
	err_t e;
	if (lab_service(lab, host, argv, log, r, &p, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return NULL;
	}
	return p;
}

/* One of siplab's own services: ready when it says READY. */
static inline struct lab_proc *start_service(struct lab *lab, const char *host, char *const argv[])
{
	const struct lab_ready r = {.how = LAB_READY_LINE, .timeout_ms = 5000};
	return start_service_as(lab, host, argv, &r);
}

/* Run the siplab program with args (args[0] is "siplab") outside any lab,
 * capturing stdout and stderr together. Returns its exit code, or -1. */
static inline int siplab_capture(char *const args[], char *out, size_t cap)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(siplab_bin(), args);
		_exit(127);
	}
	close(pfd[1]);
	read_all(pfd[0], out, cap);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* No log under dir (searched whole, every file, recursively) has a
 * sanitizer report: under `make asan` every process of a run — workers,
 * registrar, callee pool, DNS — is built with ASan/UBSan/LSan. */
static inline int logs_clean(const char *dir)
{
	char cmd[PATH_MAX + 128], found[4096] = "";
	snprintf(cmd, sizeof(cmd),
	         "grep -rl -e Sanitizer -e 'runtime error:' --include='*.log' '%s' 2>/dev/null",
	         dir);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(found, 1, sizeof(found) - 1, p) : 0;
	if (p)
		pclose(p);
	found[n] = '\0';
	if (n)
		fprintf(stderr, "    sanitizer reports in:\n%s", found);
	return n == 0;
}

/* Run argv in host, wait, and capture stdout and stderr together into out.
 * Returns the exit code, or -1 (also when killed). */
static inline int capture(struct lab *lab, const char *host, char *const argv[], char *out,
                          size_t cap)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = o.fd_err = pfd[1];
	struct lab_proc *p;
	err_t e;
	int rc = lab_spawn(lab, host, argv, &o, &p, &e);
	close(pfd[1]);
	if (rc) {
		fprintf(stderr, "    %s\n", e.msg);
		close(pfd[0]);
		return -1;
	}
	read_all(pfd[0], out, cap);
	close(pfd[0]);
	struct lab_status st;
	lab_wait(lab, p, -1, &st);
	lab_release(lab, p);
	return st.exited ? st.code : -1;
}

/* SIGTERM a service, wait up to 10 s, and forget it; st gets how it ended. */
static inline void lab_stop_service(struct lab *lab, struct lab_proc *p, struct lab_status *st)
{
	kill(p->pid, SIGTERM);
	lab_wait(lab, p, 10000, st);
	lab_release(lab, p);
}

/* Write text to a file in the lab's runtime directory; path gets its name. */
static inline int lab_file(struct lab *lab, const char *name, const char *text, char *path,
                           size_t cap)
{
	snprintf(path, cap, "%s/%s", lab->sb.rundir, name);
	return sys_write_file(path, text, strlen(text), 1, NULL);
}

/* Write a sipp scenario from a template in tests/sipp, with EXPECT_CODE,
 * EXPECT_CHECK (an action on the final response) and EXPECT_TAIL replaced. */
static inline int sipp_scenario(struct lab *lab, const char *tmpl, const char *code,
                                const char *check, char *path, size_t cap)
{
	char src[PATH_MAX], text[8192], out[8192];
	snprintf(src, sizeof(src), "tests/sipp/%s", tmpl);
	if (sys_read_file(src, text, sizeof(text)) <= 0)
		return -1;
	size_t n = 0;
	for (const char *p = text; *p && n + 256 < sizeof(out);) {
		if (!strncmp(p, "EXPECT_CODE", 11)) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", code);
			p += 11;
		} else if (!strncmp(p, "EXPECT_CHECK", 12)) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", check ? check : "");
			p += 12;
		} else if (!strncmp(p, "EXPECT_TAIL", 11)) {
			/* sipp refuses a variable that is set but never used. */
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s",
			                      check ? "<Reference variables=\"1\"/>" : "");
			p += 11;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	char name[64];
	snprintf(name, sizeof(name), "%s.%s.xml", tmpl, code);
	return lab_file(lab, name, out, path, cap);
}

#endif
