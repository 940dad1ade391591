/* runlab.c — one test run in a fresh lab (see runlab.h): the topology the
 * scenario and its fault ask for, the far side, the gateway in the platform
 * host, a worker process per worker host, the run, and its report — written
 * whatever happens. */
#define _GNU_SOURCE
#include "runlab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../netns/capture.h"
#include "../../netns/ctl.h"
#include "../../netns/lab.h"
#include "../../lib/jsonv.h"
#include "../../lib/keylog.h"
#include "../../lib/rng.h"
#include "../../lib/siplab.h"
#include "edits.h"
#include "farside.h"
#include "labfile.h"
#include "../platform/platform.h"
#include "report.h"

#define GATEWAY_ADDR "10.10.1.2"
/* The workers reach the gateway by name, through the lab DNS, as a
 * customer's workers reach the platform's (farside.c serves the name). */
#define GATEWAY_NAME "platform.lab"

/* What the report says when the lab itself failed: a platform knows that its
 * infrastructure failed, not why in the lab's terms (which may name the
 * fault); the why goes to lab.json and the terminal. */
#define INFRA_FAILED "the run could not start: the test infrastructure failed (see lab.json)"
#define GATEWAY_PORT 7000

struct run_ctx {
	struct runlab_opts o;
	const char *scenario_path;
	const char *scenario_text;
	struct scenario s;
	struct lab_edit le; /* the faults' edits: topology, far side, running lab */
	char self[PATH_MAX];
	struct lab lab;
	struct farside far;
	struct platform pf;
	struct labfile lf; /* lab.json: what only the lab knows */
	struct lab_proc *workers[64];
	int n_workers;
	int exit_noted[64];
	struct report_host_end ends[64]; /* how each worker's process ended: the host section */
	int sfd;
	int actions_done[SCN_MAX_ACTIONS];
	int lab_error;  /* the lab failed, not the test: exit EXIT_ENV */
	char token[69]; /* the workers' token: a restarted worker presents it again */
	/* restart_worker: when (platform ms) each killed worker comes back; 0 = not due. */
	long long restart_at[64];
	struct scenario other; /* platform.other_run: another tenant's test */
	struct capture cap;    /* the lab's packet capture, when one is kept */
	char cap_path[PATH_MAX], keys_path[PATH_MAX];
};

/* The gateway's socket lives in the platform host's network namespace:
 * made there, then used from here like any other descriptor. */
static int gateway_socket(struct lab *lab, err_t *e)
{
	int host = topo_host_index(lab->topo, "platform");
	if (host < 0)
		return err_set(e, ENOENT, "the topology has no platform host");
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(lab->hosts[host].netns, CLONE_NEWNET) < 0) {
		int rc = err_set(e, errno, "entering the platform host: %s", strerror(errno));
		if (self >= 0)
			close(self);
		return rc;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(GATEWAY_PORT)};
	inet_pton(AF_INET, GATEWAY_ADDR, &sa.sin_addr);
	int rc = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		rc = err_set(e, errno, "gateway on %s:%d: %s", GATEWAY_ADDR, GATEWAY_PORT,
		             strerror(errno));
	if (setns(self, CLONE_NEWNET) < 0 && !rc)
		rc = err_set(e, errno, "leaving the platform host: %s", strerror(errno));
	close(self);
	if (rc && fd >= 0)
		close(fd);
	return rc ? rc : fd;
}

/* Every worker runs in a memory cgroup of its own, as in a container: with
 * the scenario's limit, else with none (a normal run never meets one; the
 * worker still reads its usage, and a fault may set a limit when the run
 * starts). A lab with no cgroups to give runs the workers without one when
 * nothing asks for a limit, and lab.json says so. */
static long long worker_memory(struct run_ctx *c)
{
	if (c->s.platform.worker_memory_mb > 0)
		return (long long)c->s.platform.worker_memory_mb << 20;
	if (c->le.worker_cgroups || c->lab.sb.cg.version)
		return LAB_MEM_NO_LIMIT;
	labfile_note(&c->lf, 0, "the workers run without a memory cgroup: %s", c->lab.sb.cg.why);
	return 0;
}

/* Worker i's process in its host: its name, address and region, the
 * token in its environment. A restart appends to the log of the process
 * before it, as a container's log keeps its earlier runs. */
static int spawn_worker(struct run_ctx *c, int i, int restart, struct lab_proc **out, err_t *e)
{
	char gw[64], cap[16];
	snprintf(gw, sizeof(gw), "%s:%d", GATEWAY_NAME, GATEWAY_PORT);
	snprintf(cap, sizeof(cap), "%d", c->s.platform.capacity);
	/* The token in the worker's environment only: not in its argv (the
	 * process list), not in ours. */
	char env_token[96], other[69];
	const char *token = c->token;
	if (c->le.token_revoked) /* a fault's: a token the platform did not issue */
		wire_token_make(other), token = other;
	snprintf(env_token, sizeof(env_token), "SIPLAB_WORKER_TOKEN=%s", token);
	char *env[] = {env_token, NULL};
	char name[32], addr[64], log[PATH_MAX];
	topo_worker_name(i, name, sizeof(name));
	int host = topo_host_index(c->lab.topo, name);
	if (host < 0 || !topo_host_addr(c->lab.topo, host, addr, sizeof(addr)))
		return err_set(e, ENOENT, "no host %s in the lab", name);
	snprintf(log, sizeof(log), "%s/%s.log", c->far.dir, name);
	/* Workers take the listed regions in turn, or all the same one. */
	const struct scn_platform *pl = &c->s.platform;
	char *region = (char *)(pl->n_regions ? pl->regions[i % pl->n_regions] : pl->worker_region);
	char seed[24];
	rng_seed_arg(c->s.seed.value, name, seed, sizeof(seed));
	if (!restart)
		platform_provision(&c->pf, name, region); /* its token was issued */
	char *argv[] = {
	        (char *)c->o.worker, "worker", "--gateway",  gw,  "--bind", addr, "--name", name,
	        "--region",          region,   "--capacity", cap, "--seed", seed, NULL};
	int fd = open(log, O_WRONLY | O_CREAT | (restart ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
	struct lab_spawn_opts so = LAB_SPAWN_OPTS_INIT;
	so.fd_out = so.fd_err = fd;
	so.env = env;
	so.mem_limit = worker_memory(c);
	/* A fault that asked for the workers' cgroups may set a CPU quota. */
	so.cpu_pct = c->le.worker_cgroups ? CGROUP_CPU_NO_LIMIT : 0;
	int rc = lab_spawn(&c->lab, name, argv, &so, out, e);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int start_workers(struct run_ctx *c, err_t *e)
{
	for (int i = 0; i < c->s.platform.workers; i++) {
		int rc = spawn_worker(c, i, 0, &c->workers[i], e);
		if (rc)
			return rc;
		c->n_workers++;
	}
	return 0;
}

/* The last lines of a log, on one line each, for an error that must say
 * why (the lab's directory goes with the lab unless --logs keeps it). */
static void log_tail(const char *path, char *out, size_t cap)
{
	char tail[1024];
	out[0] = '\0';
	if (sys_read_tail(path, 5, tail, sizeof(tail)) || !tail[0])
		return;
	size_t len = (size_t)snprintf(out, cap, "\n  its log ends:");
	for (char *save = NULL, *l = strtok_r(tail, "\n", &save); l && len < cap;
	     l = strtok_r(NULL, "\n", &save))
		len += (size_t)snprintf(out + len, cap - len, "\n    %s", l);
}

static int never_connected(struct run_ctx *c, int i)
{
	char name[32];
	return !platform_worker(&c->pf, topo_worker_name(i, name, sizeof(name)));
}

/* Whether worker i is connected to the gateway now (and so hears its
 * shutdown). */
static int gateway_holds(struct run_ctx *c, int i)
{
	char name[32];
	const struct pf_worker *w =
	        platform_worker(&c->pf, topo_worker_name(i, name, sizeof(name)));
	return w && w->connected;
}

static int worker_lab_error(struct run_ctx *c, int i, err_t *e)
{
	char name[32], how[96], log[PATH_MAX], tail[1200];
	topo_worker_name(i, name, sizeof(name));
	snprintf(log, sizeof(log), "%s/%s.log", c->far.dir, name);
	log_tail(log, tail, sizeof(tail));
	const char *where = c->o.logs ? log : "its log is kept with --logs DIR";
	if (!c->workers[i]->done)
		return err_set(e, ETIMEDOUT,
		               "%s's process runs but never reached the gateway (%s)%s", name,
		               where, tail);
	return err_set(e, ECHILD, "%s's process %s before it reached the gateway (%s)%s", name,
	               lab_status_str(&c->workers[i]->st, how, sizeof(how)), where, tail);
}

/* The scenario's fault keeps the workers from the gateway (a refused token,
 * a blocked port, a name that does not resolve): their staying away is the
 * test, not a lab failure. */
static int workers_meant_offline(const struct run_ctx *c)
{
	int offline = 0;
	for (int k = 0; k < c->s.n_faults; k++)
		offline |= fault_find(c->s.faults[k].code)->keeps_workers_offline;
	return offline;
}

/* For workers that will not come: a bounded wait (10 s of the scenario: 1 s
 * at time scale 0.1), shorter when every worker process has ended
 * (refused), then on to pre-flight, which finds them OFFLINE. */
static int wait_offline(struct run_ctx *c)
{
	long long end = sys_now_ns() + scenario_ms(&c->s, 10) * 1000000LL;
	while (platform_online(&c->pf) < c->n_workers && sys_now_ns() < end) {
		platform_poll(&c->pf, 50);
		lab_reap(&c->lab);
		int running = 0;
		for (int i = 0; i < c->n_workers; i++)
			running += !c->workers[i]->done;
		if (!running)
			break;
	}
	labfile_note(&c->lf, platform_ms(&c->pf), "%d of %d workers ONLINE before pre-flight",
	             platform_online(&c->pf), c->n_workers);
	return 0;
}

/* Until every worker said hello (or a few seconds passed). A worker the
 * gateway never heard of — its process ended, or it runs but never
 * connected — is the lab's failure, not the platform's: the run is not a
 * test result, and the error says which worker, how it ended and what its
 * log says. */
static int wait_online(struct run_ctx *c, err_t *e)
{
	if (workers_meant_offline(c))
		return wait_offline(c);
	long long end = sys_now_ns() + 10000000000LL;
	while (platform_online(&c->pf) < c->n_workers && sys_now_ns() < end) {
		platform_poll(&c->pf, 50);
		lab_reap(&c->lab);
		for (int i = 0; i < c->n_workers; i++)
			if (c->workers[i]->done && never_connected(c, i))
				return worker_lab_error(c, i, e);
	}
	/* Alive, but it never said hello: the lab's failure too. */
	for (int i = 0; i < c->n_workers; i++)
		if (never_connected(c, i))
			return worker_lab_error(c, i, e);
	return 0;
}

/* platform.other_run: another tenant's run, submitted to the same gateway
 * first. The test's run goes to pre-flight once the other's calls are up
 * (or a second plus 5 s of the scenario passed); how far it got is the
 * lab's knowledge (lab.json), not the report's. */
static void start_other_run(struct run_ctx *c)
{
	if (c->s.platform.other_run.endpoints <= 0)
		return;
	scenario_other_run(&c->s, &c->other);
	enum run_status st = platform_start_other_run(&c->pf, &c->other);
	long long end = sys_now_ns() + (scenario_ms(&c->s, 5) + 1000) * 1000000LL;
	while (st == RUN_RUNNING && c->pf.other.n_in_call < 1 && sys_now_ns() < end) {
		platform_poll(&c->pf, 50);
		lab_reap(&c->lab);
	}
	const struct pf_run *o = &c->pf.other;
	char what[200];
	snprintf(what, sizeof(what),
	         "another tenant's run %s: %s, %d endpoints, %d registered, %d in call as the "
	         "test's run starts",
	         o->id, run_status_name(o->status), o->n_eps, o->n_registered, o->n_in_call);
	labfile_note(&c->lf, platform_ms(&c->pf), "%s", what);
	if (!c->o.quiet)
		printf("  [%6.2f s] lab: %s\n", platform_ms(&c->pf) / 1000.0, what);
}

static const char *action_verb(enum scn_action_kind k)
{
	return k == SCN_KILL_WORKER ? "kill" : k == SCN_STOP_WORKER ? "stop" : "restart";
}

static void act(struct run_ctx *c, const struct scn_action *a)
{
	int sig = a->kind == SCN_STOP_WORKER ? SIGTERM : SIGKILL;
	for (int i = 0; i < c->n_workers; i++) {
		char name[32];
		topo_worker_name(i, name, sizeof(name));
		if (strcmp(a->worker, "all") && strcmp(a->worker, name))
			continue;
		char what[128];
		snprintf(what, sizeof(what), "action: %s %s (%s)", action_verb(a->kind), name,
		         sig == SIGKILL ? "SIGKILL" : "SIGTERM");
		if (a->kind == SCN_RESTART_WORKER) {
			/* Started again after_s later, as an orchestrator would. */
			long long back = scenario_ms(&c->s, a->after_s);
			c->restart_at[i] = platform_ms(&c->pf) + (back > 0 ? back : 1);
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
			         ", started again %g s later", a->after_s);
		}
		labfile_note(&c->lf, platform_ms(&c->pf), "%s", what);
		if (!c->o.quiet)
			printf("  [%6.2f s] %s\n", platform_ms(&c->pf) / 1000.0, what);
		kill(c->workers[i]->pid, sig);
	}
}

static void before_run_actions(struct run_ctx *c)
{
	int any = 0;
	for (int i = 0; i < c->s.n_actions; i++)
		if (c->s.actions[i].before_run) {
			act(c, &c->s.actions[i]);
			c->actions_done[i] = any = 1;
		}
	/* Let the gateway notice the workers going away (or 2 s pass). */
	for (int i = 0; any && i < 40; i++) {
		int gone = 1;
		for (int k = 0; k < c->s.n_actions; k++) {
			const struct scn_action *a = &c->s.actions[k];
			for (int w = 0; a->before_run && w < c->pf.n_workers; w++)
				if (!strcmp(a->worker, "all") ||
				    !strcmp(a->worker, c->pf.workers[w].name))
					gone &= c->pf.workers[w].status != WORKER_ONLINE;
		}
		if (gone)
			break;
		platform_poll(&c->pf, 50);
		lab_reap(&c->lab);
	}
}

static void note_worker_exit(struct run_ctx *c, int i, const struct lab_status *st);

/* A killed worker due back: once its old process is reaped, the same
 * program again, with the same name and token — a new process that the
 * gateway sees connect as a new session. A spawn that fails is the lab's
 * error, said in lab.json. */
static void restart_due(struct run_ctx *c)
{
	lab_reap(&c->lab);
	for (int i = 0; i < c->n_workers; i++) {
		if (!c->restart_at[i] || platform_ms(&c->pf) < c->restart_at[i] ||
		    !c->workers[i]->done)
			continue;
		c->restart_at[i] = 0;
		if (!c->exit_noted[i])
			note_worker_exit(c, i, &c->workers[i]->st);
		err_t e;
		char name[32];
		struct lab_proc *next = NULL;
		topo_worker_name(i, name, sizeof(name));
		if (spawn_worker(c, i, 1, &next, &e)) {
			c->lab_error = 1;
			labfile_note(&c->lf, platform_ms(&c->pf), "lab error: restarting %s: %s",
			             name, e.msg);
			fprintf(stderr, "siplab run: lab error: restarting %s: %s\n", name, e.msg);
			continue;
		}
		lab_release(&c->lab, c->workers[i]);
		c->workers[i] = next;
		c->exit_noted[i] = 0;
		labfile_note(&c->lf, platform_ms(&c->pf), "%s started again (pid %d)", name,
		             (int)c->workers[i]->pid);
		if (!c->o.quiet)
			printf("  [%6.2f s] lab: %s started again\n", platform_ms(&c->pf) / 1000.0,
			       name);
	}
}

static void timed_actions(struct run_ctx *c)
{
	long long run_ms = (sys_now_ns() - c->pf.run.t0) / 1000000;
	edits_tick(&c->le, (long)run_ms);
	if (c->le.failed[0] && !c->lab_error) {
		/* The fault did not strike (or lift) as the scenario says: the run
		 * is not the test it claims to be. */
		c->lab_error = 1;
		fprintf(stderr, "siplab run: lab error: %s\n", c->le.failed);
		edits_cancel(&c->le);
		platform_stop_run(&c->pf);
	}
	for (int i = 0; i < c->s.n_actions; i++)
		if (!c->actions_done[i] && run_ms >= scenario_ms(&c->s, c->s.actions[i].at_s)) {
			act(c, &c->s.actions[i]);
			c->actions_done[i] = 1;
		}
	restart_due(c);
}

/* One Ctrl-C stops the run gracefully; a second gives up waiting. */
static void check_signals(struct run_ctx *c)
{
	struct signalfd_siginfo si;
	while (read(c->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (c->pf.run.status == RUN_RUNNING) {
			platform_stop_run(&c->pf);
		} else {
			fprintf(stderr, "siplab run: second stop: closing what is left\n");
			c->pf.run.deadline_ms = 0;
		}
	}
}

/* How a worker's process ended (the kernel's OOM killer shows here) is the
 * lab's knowledge, as its parent: it goes to lab.json. A hosted platform sees
 * only the connection close or the heartbeats stop; the customer's host sees
 * the container's end (docker inspect's exit code and OOMKilled), which the
 * report keeps apart in its host section. */
static void note_worker_exit(struct run_ctx *c, int i, const struct lab_status *st)
{
	char name[32], how[96];
	topo_worker_name(i, name, sizeof(name));
	labfile_worker_exit(&c->lf, platform_ms(&c->pf), name, st);
	c->ends[i] = (struct report_host_end){.lab_ms = platform_ms(&c->pf), .st = *st};
	snprintf(c->ends[i].name, sizeof(c->ends[i].name), "%s", name);
	if (!c->o.quiet)
		printf("  [%6.2f s] lab: %s's process %s\n", platform_ms(&c->pf) / 1000.0, name,
		       lab_status_str(st, how, sizeof(how)));
	c->exit_noted[i] = 1;
}

static void note_worker_exits(struct run_ctx *c)
{
	lab_reap(&c->lab);
	for (int i = 0; i < c->n_workers; i++)
		if (c->workers[i]->done && !c->exit_noted[i])
			note_worker_exit(c, i, &c->workers[i]->st);
}

static void run_loop(struct run_ctx *c)
{
	while (!platform_run_over(&c->pf)) {
		platform_poll(&c->pf, 50);
		check_signals(c);
		timed_actions(c);
		note_worker_exits(c);
	}
}

/* Ask the workers to leave and note how each process ended (a worker that
 * crashed or leaked under a sanitizer says so here). */
static void stop_workers(struct run_ctx *c)
{
	platform_shutdown(&c->pf);
	/* One still trying to reach the gateway, or cut off from it, hears no
	 * shutdown. */
	for (int i = 0; i < c->n_workers; i++)
		if (!c->workers[i]->done && !gateway_holds(c, i))
			kill(c->workers[i]->pid, SIGTERM);
	for (int i = 0; i < c->n_workers; i++) {
		struct lab_status st;
		if (lab_wait(&c->lab, c->workers[i], 3000, &st)) {
			kill(c->workers[i]->pid, SIGKILL);
			lab_wait(&c->lab, c->workers[i], 2000, &st);
		}
		if (!c->exit_noted[i])
			note_worker_exit(c, i, &st);
		lab_release(&c->lab, c->workers[i]);
	}
	c->n_workers = 0;
}

static int all_succeeded(const struct platform *p)
{
	if (p->run.status != RUN_COMPLETED || p->run.stopped)
		return 0;
	for (int i = 0; i < p->run.n_eps; i++)
		if (outcome_severity(p->run.eps[i].outcome) != 0 &&
		    p->run.eps[i].outcome != OUTCOME_COMPLETED_WITH_WARNINGS)
			return 0;
	return 1;
}

/* lab.json beside the report; a failure to write it is said, not fatal. */
static void write_labfile(struct labfile *lf, const char *report, int quiet)
{
	char path[PATH_MAX];
	err_t e;
	if (labfile_path(report, path, sizeof(path), &e) || labfile_write(lf, path, &e))
		fprintf(stderr, "siplab run: %s\n", e.msg);
	else if (!quiet)
		printf("  lab (the answer key): %s\n", path);
}

static int finish(struct run_ctx *c)
{
	err_t e;
	cJSON *rep = report_build(&c->pf, c->scenario_text);
	report_add_host(rep, &c->pf, c->ends, (int)(sizeof(c->ends) / sizeof(*c->ends)));
	int rc = report_write(rep, c->o.report, &e);
	report_summary(rep, c->s.name, stdout);
	if (rc)
		fprintf(stderr, "siplab run: %s\n", e.msg);
	else
		printf("  report: %s\n", c->o.report);
	if (c->o.logs) {
		labfile_logs(&c->lf, c->o.logs);
		printf("  logs: %s\n", c->o.logs);
	}
	write_labfile(&c->lf, c->o.report, 0);
	cJSON_Delete(rep);
	if (c->lab_error)
		return EXIT_ENV;
	return !rc && all_succeeded(&c->pf) ? EXIT_OK : EXIT_FAIL;
}

/* --- the packet capture -------------------------------------------------------- */

/* FILE.pcapng -> FILE.keys; any other FILE -> FILE.keys. */
static void keys_path_for(const char *pcap, char *out, size_t cap)
{
	size_t n = strlen(pcap);
	if (n > 7 && !strcmp(pcap + n - 7, ".pcapng"))
		snprintf(out, cap, "%.*s.keys", (int)(n - 7), pcap);
	else
		snprintf(out, cap, "%s.keys", pcap);
}

/* The capture starts before the far side and the workers, so it holds the
 * run from its first packet; the TLS key log is asked of every lab process
 * started after (they inherit the environment). A capture that cannot start
 * is said and noted, and the run goes on without it: the test is no less
 * valid. */
static void capture_begin(struct run_ctx *c)
{
	if (c->o.logs)
		snprintf(c->cap_path, sizeof(c->cap_path), "%s/capture.pcapng", c->o.logs);
	else if (c->o.pcap)
		snprintf(c->cap_path, sizeof(c->cap_path), "%s", c->o.pcap);
	else
		return;
	keys_path_for(c->cap_path, c->keys_path, sizeof(c->keys_path));
	err_t e;
	if (c->o.logs)
		(void)sys_mkdir_p(c->o.logs, 0755, &e); /* the far side would make it later */
	if (capture_start(&c->lab, c->cap_path, &c->cap, &e)) {
		fprintf(stderr, "siplab run: %s (the run goes on without it)\n", e.msg);
		labfile_note(&c->lf, 0, "no packet capture: %s", e.msg);
		c->cap_path[0] = '\0';
		return;
	}
	if (sys_write_file(c->keys_path, "", 0, 1, &e) == 0)
		setenv(KEYLOG_ENV, c->keys_path, 1);
	labfile_note(&c->lf, 0, "packet capture of %d link ends: %s", c->cap.n_ifaces, c->cap_path);
}

/* A copy of a finished file, for --pcap given with --logs. */
static int copy_file(const char *from, const char *to, err_t *e)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = in < 0 || out < 0 ? -errno : 0;
	char buf[1 << 16];
	ssize_t n;
	while (!rc && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 ? errno != EINTR : sys_write_all(out, buf, (size_t)n) < 0)
			rc = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !rc)
		rc = -errno;
	return rc ? err_set(e, -rc, "copying %s to %s: %s", from, to, strerror(-rc)) : 0;
}

/* After the workers have left (their un-REGISTERs are in it): the file is
 * closed, and what it holds — and what it left out — is said. */
static void capture_end(struct run_ctx *c)
{
	if (!c->cap_path[0])
		return;
	struct capture_summary sum;
	char what[400];
	err_t e;
	unsetenv(KEYLOG_ENV);
	if (capture_stop(&c->lab, &c->cap, &sum, &e)) {
		fprintf(stderr, "siplab run: %s\n", e.msg);
		labfile_note(&c->lf, platform_ms(&c->pf), "%s", e.msg);
		return;
	}
	capture_summary_str(&sum, what, sizeof(what));
	labfile_note(&c->lf, platform_ms(&c->pf), "packet capture: %s", what);
	if (sum.dropped_limit || sum.dropped_kernel)
		fprintf(stderr, "siplab run: capture: %s\n", what);
	if (c->o.logs && c->o.pcap) {
		char keys[PATH_MAX];
		keys_path_for(c->o.pcap, keys, sizeof(keys));
		if (copy_file(c->cap_path, c->o.pcap, &e) || copy_file(c->keys_path, keys, &e))
			fprintf(stderr, "siplab run: --pcap: %s\n", e.msg);
	}
	if (!c->o.quiet)
		printf("  capture: %s (%s; TLS keys: %s)\n", c->o.pcap ? c->o.pcap : c->cap_path,
		       what, c->keys_path);
}

/* --- a lab kept up for a person's own tools (lab up --scenario, run --keep) ---------- */

/* The registrar's transports as the faults left them (its configuration
 * file, as it runs), or Kamailio's. */
static void registrar_transports(const struct run_ctx *c, char *out, size_t cap)
{
	if (c->s.far.registrar == SCN_REG_KAMAILIO) {
		snprintf(out, cap, "udp 5060, tcp 5060 (Kamailio)");
		return;
	}
	char path[PATH_MAX + 32], *text = NULL;
	err_t e;
	snprintf(path, sizeof(path), "%s/registrar.json", c->far.dir);
	cJSON *reg = jv_read_file(path, &text, &e) ? NULL : cJSON_Parse(text);
	const cJSON *t;
	size_t n = 0;
	out[0] = '\0';
	cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(reg, "transports"))
		if (cJSON_IsString(t) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s %s", n ? ", " : "",
			                      t->valuestring,
			                      strcmp(t->valuestring, "tls") ? "5060" : "5061");
	if (!n)
		snprintf(out, cap, "none (see %s)", path);
	cJSON_Delete(reg);
	free(text);
}

/* The scenario's k-th fault as written ("fault", or "faults"[k]), for its
 * parameters. */
static const cJSON *fault_json(const cJSON *root, int k)
{
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(root, "fault");
	if (cJSON_IsObject(one))
		return k == 0 ? one : NULL;
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "faults"), k);
}

static void keep_faults(const struct run_ctx *c, FILE *f)
{
	fprintf(f, "faults on:\n");
	if (!c->s.n_faults)
		fprintf(f, "  none: a healthy lab\n");
	cJSON *root = cJSON_Parse(c->scenario_text);
	for (int k = 0; k < c->s.n_faults; k++) {
		const struct scn_fault *sf = &c->s.faults[k];
		const struct fault *fl = fault_find(sf->code);
		fprintf(f, "  %s", sf->code);
		const cJSON *p,
		        *params = cJSON_GetObjectItemCaseSensitive(fault_json(root, k), "params");
		const char *sep = ":";
		cJSON_ArrayForEach (p, params) {
			char *v = cJSON_IsString(p) ? NULL : cJSON_PrintUnformatted(p);
			fprintf(f, "%s%s=%s", sep, p->string, v ? v : p->valuestring);
			free(v);
			sep = ",";
		}
		fprintf(f, " — %s\n", fl ? fl->summary : "");
		if (sf->has_at || sf->has_until)
			fprintf(f,
			        "    timed in the scenario (at %g s%s): switched on as the lab "
			        "came "
			        "up, and left on\n",
			        sf->has_at ? sf->at_s : 0, sf->has_until ? ", lifted later" : "");
	}
	if (c->le.failed[0])
		fprintf(f, "  NOT as the scenario says: %s\n", c->le.failed);
	cJSON_Delete(root);
}

static const char *const transport_names[] = {"udp", "tcp", "tls", "auto"};

/* What `lab status` adds for a scenario's lab: what runs where, the
 * accounts a person's UA may use, the numbers to call, the faults on. */
static char *keep_status(const struct run_ctx *c)
{
	char *out = NULL, tr[160];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	const struct scenario *s = &c->s;
	registrar_transports(c, tr, sizeof(tr));
	fprintf(f, "scenario \"%s\" (%s), its far side running; %s\n", s->name,
	        c->scenario_path ? c->scenario_path : "-",
	        c->o.with_workers ? "its run is over"
	                          : "its workers not started: bring your own UA");
	fprintf(f, "services:\n");
	fprintf(f, "  %-10s %-10s %s\n", "HOST", "ADDRESS", "SERVICE");
	fprintf(f, "  %-10s %-10s %s\n", "dns", "10.10.4.2",
	        "DNS on 53: registrar.lab, callee.lab, platform.lab; NAPTR/SRV for \"lab\"");
	fprintf(f, "  %-10s %-10s %s registrar and proxy (registrar.lab, realm \"lab\"): %s\n",
	        "registrar", "10.10.2.2",
	        s->far.registrar == SCN_REG_KAMAILIO ? "Kamailio" : "siplab", tr);
	if (c->far.callees)
		fprintf(f, "  %-10s %-10s callee pool (callee.lab), %d UAs that %s\n", "callee",
		        "10.10.3.2", s->far.callee_count, s->far.callee_behaviour);
	if (c->far.registrar2)
		fprintf(f, "  %-10s %-10s second registrar for domain %s\n", "registrar2", "",
		        s->far.peer_domain);
	if (c->far.alg)
		fprintf(f, "  %-10s %-10s SIP ALG on the NAT router\n", "nat", "");
	fprintf(f, "accounts (register at registrar.lab, digest, realm \"lab\"):\n");
	for (int g = 0; g < s->n_groups; g++) {
		const struct scn_accounts *a = &s->groups[g].accounts;
		int first = a->first > 0 ? a->first : 1, count = a->count > 0 ? a->count : 1;
		fprintf(f,
		        "  %-14s user %s%04d..%s%04d password \"%s\" domain %s; the test uses %s\n",
		        s->groups[g].name, a->prefix, first, a->prefix, first + count - 1,
		        a->password, a->domain[0] ? a->domain : "lab",
		        transport_names[s->groups[g].transport]);
	}
	if (c->far.callees)
		fprintf(f, "numbers to call (the callee pool): sip:%s0001@%s .. sip:%s%04d@%s\n",
		        s->far.callee_prefix, c->far.callee_domain, s->far.callee_prefix,
		        s->far.callee_count, c->far.callee_domain);
	fprintf(f, "your UA runs in a worker host:");
	for (int h = 0; h < c->lab.topo->n_hosts; h++)
		if (!strncmp(c->lab.topo->hosts[h].name, "worker", 6)) {
			int i = atoi(c->lab.topo->hosts[h].name + 6) - 1;
			fprintf(f, " %s%s", c->lab.topo->hosts[h].name,
			        i >= 0 && i < 64 && (c->le.nat_workers >> i & 1)
			                ? " (behind the NAT)"
			                : "");
		}
	fputc('\n', f);
	keep_faults(c, f);
	fclose(f);
	return out;
}

/* A timed fault is switched on now, as at its at_s, and stays on: a
 * person poking at the lab wants the fault there, not gone again at
 * until_s. Its other timed actions (a service stopped) happen now too. */
static void keep_timed_faults(struct run_ctx *c)
{
	for (int i = 0; i < c->le.n_timers; i++) {
		struct le_timer *t = &c->le.timers[i];
		const struct scn_fault *sf = t->k < c->s.n_faults ? &c->s.faults[t->k] : NULL;
		if (sf && sf->has_until && t->ms >= scenario_ms(&c->s, sf->until_s))
			t->done = 1;
	}
	edits_tick(&c->le, LONG_MAX);
}

/* Serve `lab exec/status/down` until Ctrl-C or `lab down`. */
static int keep_serve(struct run_ctx *c)
{
	err_t e;
	char *text = keep_status(c), *msg = NULL;
	int lfd = ctl_listen(c->lab.sb.rundir, &e);
	if (lfd < 0) {
		fprintf(stderr, "siplab: %s\n", e.msg);
		free(text);
		if (c->o.kept_up)
			c->o.kept_up(c->o.kept_arg, NULL);
		return EXIT_ENV;
	}
	char *d = lab_describe(&c->lab);
	int named = strcmp(c->o.keep, "default") != 0;
	if (asprintf(&msg,
	             "%s%slab \"%s\" is up. Work inside it from another shell:\n"
	             "  siplab lab exec%s%s worker1 -- bash\n"
	             "  siplab lab status%s%s\n"
	             "stop it with Ctrl-C (not when detached) or `siplab lab down%s%s`\n",
	             d ? d : "", text ? text : "", c->o.keep, named ? " --name " : "",
	             named ? c->o.keep : "", named ? " --name " : "", named ? c->o.keep : "",
	             named ? " --name " : "", named ? c->o.keep : "") < 0)
		msg = NULL;
	free(d);
	if (c->o.kept_up)
		c->o.kept_up(c->o.kept_arg, msg ? msg : "lab is up\n");
	else if (msg)
		fputs(msg, stdout), fflush(stdout);
	free(msg);
	int sig = ctl_serve_status(&c->lab, lfd, text);
	fprintf(stderr, "siplab: lab \"%s\" going down%s%s\n", c->o.keep, sig ? " on " : "",
	        sig ? sigabbrev_np(sig) : "");
	close(lfd);
	free(text);
	return EXIT_OK;
}

/* The far side is up (rc 0) or not: the faults as a run starts, then the
 * lab is served, with no workers and no run. */
static int keep_lab(struct run_ctx *c, int rc, err_t *e)
{
	if (!rc)
		rc = edits_run_start(&c->le, NULL, 0, &c->pf, e);
	if (rc) {
		fprintf(stderr, "siplab: lab error: %s\n", e->msg);
		if (c->o.kept_up)
			c->o.kept_up(c->o.kept_arg, NULL);
		return EXIT_ENV;
	}
	keep_timed_faults(c);
	if (c->le.failed[0])
		fprintf(stderr, "siplab: lab error: %s\n", c->le.failed);
	return keep_serve(c);
}

/* Everything after the lab is up; the report is written whatever happens. */
static int run_in_lab(struct run_ctx *c)
{
	err_t e;
	char dir[PATH_MAX];
	if (c->o.logs)
		snprintf(dir, sizeof(dir), "%s", c->o.logs);
	else
		snprintf(dir, sizeof(dir), "%s/run", c->lab.sb.rundir);
	c->sfd = sys_stop_signalfd();
	fcntl(c->sfd, F_SETFL, O_NONBLOCK); /* polled between gateway rounds */
	capture_begin(c);
	struct pf_env env = {.callee_count = c->s.far.callee_count};
	int rc = farside_start(&c->far, &c->lab, &c->s, &c->le, c->self, dir, &e);
	snprintf(env.callee_prefix, sizeof(env.callee_prefix), "%s", c->s.far.callee_prefix);
	snprintf(env.callee_domain, sizeof(env.callee_domain), "%s", c->far.callee_domain);
	snprintf(env.tls_dir, sizeof(env.tls_dir), "%s", c->far.tls_dir);
	int lfd = rc ? -1 : gateway_socket(&c->lab, &e);
	wire_token_make(c->token);
	platform_init(&c->pf, lfd, c->token, &c->s, &env);
	c->pf.progress = c->o.quiet ? NULL : stdout;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (c->o.keep && !c->o.with_workers) {
		int code = keep_lab(c, rc || lfd < 0 ? -1 : 0, &e);
		capture_end(c);
		farside_stop(&c->far, &c->lab);
		platform_free(&c->pf);
		close(c->sfd);
		return code;
	}
	if (!rc && lfd >= 0 && !(rc = start_workers(c, &e)) && !(rc = wait_online(c, &e))) {
		before_run_actions(c);
		start_other_run(c);
		if (platform_start_run(&c->pf) == RUN_RUNNING) {
			if (edits_run_start(&c->le, c->workers, c->n_workers, &c->pf, &e)) {
				/* The fault is not in place: the run is not the test it
				 * claims to be. Stop it, say why, diagnose nothing. */
				c->lab_error = 1;
				fprintf(stderr, "siplab run: lab error: %s\n", e.msg);
				labfile_note(&c->lf, platform_ms(&c->pf), "lab error: %s", e.msg);
				edits_cancel(&c->le);
				platform_stop_run(&c->pf);
			}
			run_loop(c);
		}
		platform_release(&c->pf, 3000);
	}
	if (rc || lfd < 0) {
		c->lab_error = 1;
		fprintf(stderr, "siplab run: lab error: %s\n", e.msg);
		labfile_note(&c->lf, platform_ms(&c->pf), "the lab did not start: %s", e.msg);
		snprintf(c->pf.run.reason, sizeof(c->pf.run.reason), "%s", INFRA_FAILED);
		c->pf.run.reason_code = RUN_REASON_INFRASTRUCTURE_FAILED;
		c->pf.run.status = RUN_FAILED;
	}
	stop_workers(c);
	capture_end(c);
	int code = finish(c);
	if (c->o.keep && !c->lab_error)
		(void)keep_serve(c);
	farside_stop(&c->far, &c->lab);
	platform_free(&c->pf);
	close(c->sfd);
	return code;
}

int runlab(const struct scenario *s, const char *path, const char *text,
           const struct runlab_opts *o)
{
	static struct run_ctx c;
	memset(&c, 0, sizeof(c));
	c.o = *o;
	if (!c.o.worker)
		c.o.worker = o->self;
	c.s = *s;
	char pcap[PATH_MAX];
	if (o->pcap && o->pcap[0] != '/') {
		char cwd[PATH_MAX / 2];
		snprintf(pcap, sizeof(pcap), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".",
		         o->pcap);
		c.o.pcap = pcap;
	}
	c.scenario_path = path;
	c.scenario_text = text;
	if (!c.s.seed.given)
		c.s.seed.value = rng_fresh_seed(); /* recorded in the report: replay with --seed */
	snprintf(c.self, sizeof(c.self), "%s", o->self);
	labfile_init(&c.lf, s, path, text);
	edits_init(&c.le, &c.s, &c.lf, o->quiet || (o->keep && !o->with_workers));
	err_t e;
	char *json = NULL;
	int rc = edits_topology(&c.le, &json, &e);
	labfile_topology(&c.lf, json);
	struct topo *t = NULL;
	char rundir[PATH_MAX], name[64];
	snprintf(name, sizeof(name), "run-%d", (int)getpid());
	if (o->keep) {
		snprintf(name, sizeof(name), "%s", o->keep);
		c.le.keep = 1;
	}
	if (!rc)
		rc = topo_parse(json, "standard topology", &t, &e);
	free(json);
	if (!rc && (rc = ctl_claim(name, rundir, sizeof(rundir), &e)))
		topo_free(t);
	if (!rc)
		rc = lab_up(&c.lab, t, rundir, &e);
	if (rc) {
		/* No lab, no run: the report still says why. */
		fprintf(stderr, "siplab run: %s\n", rc == -ENOMEM ? "out of memory" : e.msg);
		labfile_note(&c.lf, 0, "the lab did not start: %s", e.msg);
		err_t we;
		int reported = !o->keep || o->with_workers; /* a kept lab alone has no report */
		if (reported && report_unstarted(o->report, text, INFRA_FAILED, &we))
			fprintf(stderr, "siplab run: %s\n", we.msg);
		if (reported)
			write_labfile(&c.lf, o->report, 1);
		if (o->kept_up)
			o->kept_up(o->kept_arg, NULL);
		edits_free(&c.le);
		labfile_free(&c.lf);
		return EXIT_ENV; /* the lab failed, not the test */
	}
	for (int k = 0; k < s->n_faults; k++) {
		const struct fault *f = fault_find(s->faults[k].code);
		const struct scn_fault *sf = &s->faults[k];
		char until[48] = "";
		if (sf->has_until)
			snprintf(until, sizeof(until), ", until %g s", sf->until_s);
		if (sf->has_at || sf->has_until)
			labfile_note(&c.lf, 0, "fault %s set to strike at %g s%s (%s)", f->code,
			             sf->has_at ? sf->at_s : 0, until, f->applied);
		else
			labfile_note(&c.lf, 0, "fault %s in place as the lab was built (%s)",
			             f->code, f->applied);
	}
	if (!c.o.quiet && (!o->keep || o->with_workers))
		printf("siplab run: \"%s\" — %d endpoints in %d groups, %d worker%s, time scale "
		       "%g, seed %llu\n",
		       c.s.name, scenario_endpoints(&c.s), c.s.n_groups, c.s.platform.workers,
		       c.s.platform.workers == 1 ? "" : "s", c.s.time_scale, c.s.seed.value);
	int code = run_in_lab(&c);
	lab_down(&c.lab);
	edits_free(&c.le);
	labfile_free(&c.lf);
	return code;
}
