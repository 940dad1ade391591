/* test_cleanup.c — a lab leaves nothing behind on the host: no interface,
 * namespace, cgroup, runtime file or process, whether it is stopped with
 * `siplab lab down` or its main process is SIGKILLed. Drives the real binary
 * ($SIPLAB, default build/siplab) as a user would. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "../netns/cgroup.h"
#include "../netns/sandbox.h"

#define MAX_PIDS 256

static const char *siplab(void)
{
	const char *s = getenv("SIPLAB");
	return s && *s ? s : "build/siplab";
}

static void host_links(char *out, size_t cap)
{
	out[0] = '\0';
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			strncat(out, de->d_name, cap - strlen(out) - 2);
			strncat(out, " ", cap - strlen(out) - 1);
		}
	if (d)
		closedir(d);
}

static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (sys_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *p = strrchr(buf, ')');
	int ppid = -1;
	if (p)
		sscanf(p + 2, "%*c %d", &ppid);
	return ppid;
}

/* Every process descending from root (root included). */
static int descendants(pid_t root, pid_t *out, int cap)
{
	int n = 0;
	out[n++] = root;
	for (int grew = 1; grew;) {
		grew = 0;
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			pid_t pid = atoi(de->d_name), pp;
			if (pid <= 0 || (pp = ppid_of(pid)) <= 0)
				continue;
			int known = 0, parent = 0;
			for (int i = 0; i < n; i++) {
				known |= out[i] == pid;
				parent |= out[i] == pp;
			}
			if (!known && parent && n < cap) {
				out[n++] = pid;
				grew = 1;
			}
		}
		if (d)
			closedir(d);
	}
	return n;
}

static unsigned long ns_inode(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* Is any process on the host still in one of these namespaces? */
static int ns_in_use(const unsigned long *inodes, int n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int used = 0;
	while (d && (de = readdir(d)) != NULL && !used) {
		pid_t pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		unsigned long net = ns_inode(pid, "net"), user = ns_inode(pid, "user");
		for (int i = 0; i < n; i++)
			used |= inodes[i] && (inodes[i] == net || inodes[i] == user);
	}
	if (d)
		closedir(d);
	return used;
}

static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static pid_t start(char *const argv[], int *out_fd)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

static int wait_for_text(int fd, const char *text, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	buf[0] = '\0';
	while (!strstr(buf, text) && got + 1 < cap &&
	       (n = read(fd, buf + got, cap - 1 - got)) > 0) {
		got += (size_t)n;
		buf[got] = '\0';
	}
	return strstr(buf, text) ? 0 : -1;
}

static int run_quiet(char *const argv[])
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int lifecycle(int kill_it)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char before[4096], during[4096], after[4096], name[32], buf[8192];
	host_links(before, sizeof(before));
	snprintf(name, sizeof(name), "clean%d", (int)getpid());
	char *up[] = {(char *)siplab(), "lab", "up",    "--name", name,
	              "--workers",      "2",   "--nat", NULL};
	int out;
	pid_t main_pid = start(up, &out);
	CHECK(main_pid > 0, "cannot start %s", siplab());
	CHECK(wait_for_text(out, "is up", buf, sizeof(buf)) == 0, "lab did not come up: %s", buf);
	/* A process inside a host, started the way a developer would. */
	char *ex[] = {(char *)siplab(), "lab", "exec",  "--name", name,
	              "worker1",        "--",  "sleep", "60",     NULL};
	int ex_out;
	pid_t client = start(ex, &ex_out);
	char *st[] = {(char *)siplab(), "lab", "status", "--name", name, NULL};
	for (int i = 0; i < 200; i++) {
		int sfd;
		pid_t s = start(st, &sfd);
		wait_for_text(sfd, "processes running: 1", buf, sizeof(buf));
		close(sfd);
		waitpid(s, NULL, 0);
		if (strstr(buf, "processes running: 1"))
			break;
		usleep(10000);
	}
	CHECK(strstr(buf, "processes running: 1"), "the exec'd sleep never ran: %s", buf);

	pid_t pids[MAX_PIDS];
	int n = descendants(main_pid, pids, MAX_PIDS);
	unsigned long inodes[2 * MAX_PIDS];
	int ni = 0;
	unsigned long host_net = ns_inode(getpid(), "net"), host_user = ns_inode(getpid(), "user");
	for (int i = 0; i < n; i++) {
		unsigned long net = ns_inode(pids[i], "net"), user = ns_inode(pids[i], "user");
		if (net != host_net)
			inodes[ni++] = net;
		if (user != host_user)
			inodes[ni++] = user;
	}
	CHECK(n >= 5, "expected the owner, reaper, shell, lab and the sleep; found %d processes",
	      n);
	CHECK(ni >= 3, "expected the lab's own namespaces; found %d", ni);
	struct cgroup_root cg;
	cgroup_probe(&cg, main_pid);
	CHECK(cg.version == 0 || access(cg.mem, F_OK) == 0, "lab cgroup %s missing", cg.mem);
	char rundir[PATH_MAX], user_dir[PATH_MAX - 64];
	err_t e;
	CHECK(sandbox_user_dir(user_dir, sizeof(user_dir), &e) == 0, "%s", e.msg);
	snprintf(rundir, sizeof(rundir), "%s/%s", user_dir, name);
	CHECK(access(rundir, F_OK) == 0, "runtime dir %s missing", rundir);
	host_links(during, sizeof(during));
	CHECK(!strcmp(before, during), "host links changed while the lab ran: [%s] -> [%s]", before,
	      during);

	if (kill_it) {
		kill(main_pid, SIGKILL);
	} else {
		char *down[] = {(char *)siplab(), "lab", "down", "--name", name, NULL};
		CHECK(run_quiet(down) == 0, "lab down failed");
	}
	int main_status = 0;
	waitpid(main_pid, &main_status, 0);
	waitpid(client, NULL, 0);
	/* A clean exit also means no leak report from a sanitizer build. */
	CHECK(kill_it || (WIFEXITED(main_status) && WEXITSTATUS(main_status) == 0),
	      "lab up ended with status 0x%x", main_status);
	close(out);
	close(ex_out);

	/* Everything must go by itself within a few seconds. */
	int alive = 0, cg_left = 0, ns_left = 0, dir_left = 0;
	for (int i = 0; i < 500; i++) {
		reap_orphans();
		alive = 0;
		for (int k = 0; k < n; k++)
			alive += kill(pids[k], 0) == 0;
		cg_left = cg.version && access(cg.mem, F_OK) == 0;
		dir_left = access(rundir, F_OK) == 0;
		ns_left = ns_in_use(inodes, ni);
		if (!alive && !cg_left && !dir_left && !ns_left)
			break;
		usleep(10000);
	}
	host_links(after, sizeof(after));
	CHECK(!alive, "%d of the lab's %d processes are still alive", alive, n);
	CHECK(!cg_left, "cgroup %s is left", cg.mem);
	CHECK(!dir_left, "runtime dir %s is left", rundir);
	CHECK(!ns_left, "a namespace of the lab is still in use");
	CHECK(!strcmp(before, after), "host links changed: [%s] -> [%s]", before, after);
	return 0;
}

static int body_down(void)
{
	return lifecycle(0);
}

static int body_sigkill(void)
{
	return lifecycle(1);
}

static int body_side_by_side(void)
{
	/* Two labs with the same addresses at once, and a clear refusal for a
	 * name already in use. */
	char a[32], b[32], buf[8192];
	snprintf(a, sizeof(a), "sideA%d", (int)getpid());
	snprintf(b, sizeof(b), "sideB%d", (int)getpid());
	char *up_a[] = {(char *)siplab(), "lab", "up", "--name", a, NULL};
	char *up_b[] = {(char *)siplab(), "lab", "up", "--name", b, NULL};
	int fa, fb, fc;
	pid_t pa = start(up_a, &fa), pb = start(up_b, &fb);
	CHECK(wait_for_text(fa, "is up", buf, sizeof(buf)) == 0, "lab A: %s", buf);
	CHECK(wait_for_text(fb, "is up", buf, sizeof(buf)) == 0, "lab B: %s", buf);
	pid_t pc = start(up_a, &fc);
	int status;
	waitpid(pc, &status, 0);
	close(fc);
	char *ping[] = {(char *)siplab(), "lab", "exec", "--name",    b,   "worker1", "--",
	                "ping",           "-c1", "-W2",  "10.10.2.2", NULL};
	int ping_rc = run_quiet(ping);
	char *seven[] = {
	        (char *)siplab(), "lab", "exec", "--name", b, "registrar", "--", "sh", "-c",
	        "exit 7",         NULL};
	int seven_rc = run_quiet(seven);
	char *nohost[] = {(char *)siplab(), "lab", "exec", "--name", b,
	                  "nohost",         "--",  "true", NULL};
	int nohost_rc = run_quiet(nohost);
	kill(pa, SIGTERM);
	kill(pb, SIGTERM);
	waitpid(pa, NULL, 0);
	waitpid(pb, NULL, 0);
	close(fa);
	close(fb);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0,
	      "a second lab with the same name started");
	CHECK(ping_rc == 0, "ping across lab B failed with %d", ping_rc);
	CHECK(seven_rc == 7, "lab exec did not pass the exit code on: %d", seven_rc);
	CHECK(nohost_rc == 125, "lab exec to an unknown host gave %d, not 125", nohost_rc);
	return 0;
}

CHILD_TEST(down)
CHILD_TEST(sigkill)
CHILD_TEST(side_by_side)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_down),
	        cmocka_unit_test(test_sigkill),
	        cmocka_unit_test(test_side_by_side),
	};
	return cmocka_run_group_tests_name("lab cleanup", tests, NULL, NULL);
}
