/* cmd_lab.c — `siplab lab ...`: build a lab from a topology and work inside it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../netns/ctl.h"
#include "../../netns/lab.h"
#include "../../netns/probe.h"
#include "../../netns/topo.h"
#include "../../lib/jsonv.h"
#include "../model/scenario.h"
#include "../run/runlab.h"
#include "cli.h"

static const char lab_usage[] =
        "usage: siplab lab SUBCOMMAND [OPTIONS]\n"
        "\n"
        "A lab is a set of hosts (one Linux network namespace each) joined by links\n"
        "(veth pairs), with addresses, routes, sysctls, nftables rules, and their own\n"
        "/etc/resolv.conf and /etc/hosts. It lives in private user, network, mount and\n"
        "PID namespaces: it cannot reach or change the host's network, and everything\n"
        "it made is gone when it ends, even if it is killed.\n"
        "\n"
        "subcommands:\n"
        "  check [TOPOLOGY]         build the lab, test UDP reachability between every\n"
        "                           pair of hosts, print the matrix, tear it down\n"
        "  up [TOPOLOGY]            build the lab and keep it running until Ctrl-C or\n"
        "                           `siplab lab down` (--detach: return once it is up)\n"
        "  up --scenario FILE       a scenario's lab: its far side (DNS, registrar/SBC,\n"
        "                           callee pool, ...) with its fault(s) on, kept up for\n"
        "                           your own UA; the scenario's workers are not started\n"
        "                           (`siplab run FILE --keep` does the same)\n"
        "  exec HOST -- CMD [ARG..] run a command inside a host of a running lab, on\n"
        "                           this terminal (a pty of its own when stdin is one:\n"
        "                           `-- bash` has job control); exits with its status\n"
        "  status                   hosts, addresses and processes of a running lab; for\n"
        "                           a scenario's, the services, accounts, numbers to\n"
        "                           call and the faults on\n"
        "  down                     stop a running lab\n"
        "  list                     the labs running for this user\n"
        "  topology                 print the standard topology as JSON (copy it, edit it,\n"
        "                           and pass the file to check or up)\n"
        "\n"
        "options:\n"
        "  --name NAME     which lab (default: \"default\"); labs with different names\n"
        "                  run side by side\n"
        "  --workers N     worker hosts in the standard topology (default 1, max 50)\n"
        "  --nat           put the workers behind a NAT router in the standard topology\n"
        "  --detach        with up: go to the background once the lab is up\n"
        "  --scenario FILE with up: the scenario's lab instead of a topology\n"
        "  --fault CODE[:k=v,...]\n"
        "                  with --scenario: this fault in place of the scenario's own;\n"
        "                  repeat it for several (`siplab run --faults` lists them).\n"
        "                  A timed fault (at_s) is switched on at once and left on\n"
        "  --with-workers  with --scenario: start the workers and run the test first\n"
        "                  (its report in --report FILE, default report.json), then\n"
        "                  keep the lab and its far side up\n"
        "  --logs DIR      with --scenario: the far side's configurations and logs there\n"
        "\n"
        "TOPOLOGY is a JSON file (its fields: `siplab lab topology --help`); without\n"
        "one, the standard topology is used: a core router with the platform,\n"
        "registrar, callee and dns hosts, and the workers.\n"
        "\n"
        "examples:\n"
        "  siplab lab check --workers 3 --nat\n"
        "  siplab lab up --detach\n"
        "  siplab lab exec worker1 -- ping -c1 registrar.lab\n"
        "  siplab lab exec registrar -- tcpdump -ni eth0 udp port 5060\n"
        "  siplab lab up --scenario scenarios/healthy.json --fault reg.wrong_transport\n"
        "  siplab lab exec worker1 -- bash\n"
        "  siplab lab down\n";

static const char topology_usage[] =
        "usage: siplab lab topology [--workers N] [--nat]\n"
        "\n"
        "Prints the standard topology as JSON: copy it, edit it, and pass the file to\n"
        "`siplab lab check` or `siplab lab up`. A topology file is a JSON object with\n"
        "these fields:\n";

struct lab_opts {
	const char *name;
	const char *topology;
	int workers;
	int nat;
	int detach;
	char **rest; /* after "--" for exec */
	int n_rest;
	const char *host;
	const char *scenario;               /* up --scenario */
	const char *faults[SCN_MAX_FAULTS]; /* --fault, as many as a scenario composes */
	int n_faults;
	int with_workers;
	const char *logs, *report;
	int quiet;
};

/* optstring: "+..." for `lab` (a command after "--" is not ours to
 * parse); without "+" for `run FILE --keep`, whose file comes first. */
static int parse_opts(int argc, char **argv, const char *optstring, struct lab_opts *o)
{
	static const struct option longopts[] = {{"name", required_argument, NULL, 'n'},
	                                         {"workers", required_argument, NULL, 'w'},
	                                         {"nat", no_argument, NULL, 'N'},
	                                         {"detach", no_argument, NULL, 'd'},
	                                         {"scenario", required_argument, NULL, 's'},
	                                         {"fault", required_argument, NULL, 'f'},
	                                         {"with-workers", no_argument, NULL, 'W'},
	                                         {"logs", required_argument, NULL, 'l'},
	                                         {"report", required_argument, NULL, 'r'},
	                                         {"quiet", no_argument, NULL, 'q'},
	                                         {"keep", no_argument, NULL, 'K'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->name = "default";
	o->workers = 1;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 's':
			o->scenario = optarg;
			break;
		case 'f':
			if (o->n_faults == (int)(sizeof(o->faults) / sizeof(*o->faults))) {
				fprintf(stderr,
				        "siplab lab: --fault: at most %d (SCN_MAX_FAULTS, the "
				        "faults "
				        "one scenario composes)\n",
				        o->n_faults);
				return -1;
			}
			o->faults[o->n_faults++] = optarg;
			break;
		case 'W':
			o->with_workers = 1;
			break;
		case 'l':
			o->logs = optarg;
			break;
		case 'r':
			o->report = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'K': /* `run FILE --keep`: what brought us here */
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'w':
			o->workers = (int)strtol(optarg, &end, 10);
			if (*end || o->workers < 1 || o->workers > 50) {
				fprintf(stderr,
				        "siplab lab: --workers: expected 1 to 50, got \"%s\"\n",
				        optarg);
				return -1;
			}
			break;
		case 'N':
			o->nat = 1;
			break;
		case 'd':
			o->detach = 1;
			break;
		case 'h':
			if (!strcmp(argv[0], "topology")) {
				fputs(topology_usage, stdout);
				fields_help(stdout, topo_fields, 100);
			} else {
				fputs(lab_usage, stdout);
			}
			exit(EXIT_OK);
		default:
			fprintf(stderr, "(see `siplab lab --help`)\n");
			return -1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			o->rest = argv + i + 1;
			o->n_rest = argc - i - 1;
			break;
		}
		if (!o->topology && !o->host)
			o->topology = argv[i];
		else {
			fprintf(stderr, "siplab lab: unexpected argument \"%s\"\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static int load_topology(const struct lab_opts *o, struct topo **t)
{
	err_t e = {{0}};
	int rc;
	if (o->topology) {
		rc = topo_load(o->topology, t, &e);
	} else {
		char *json = topo_standard_json(o->workers, o->nat);
		rc = json ? topo_parse(json, "standard topology", t, &e) : -ENOMEM;
		free(json);
	}
	if (rc)
		fprintf(stderr, "siplab: %s\n", rc == -ENOMEM ? "out of memory" : e.msg);
	return rc;
}

static int env_exit(int rc)
{
	return rc == -EPERM || rc == -EACCES || rc == -ENOSPC ? EXIT_ENV : EXIT_FAIL;
}

static int start_lab(const struct lab_opts *o, struct lab *lab, struct topo *t)
{
	err_t e = {{0}};
	char rundir[PATH_MAX];
	int rc = ctl_claim(o->name, rundir, sizeof(rundir), &e);
	if (rc) {
		topo_free(t);
		fprintf(stderr, "siplab: %s\n", e.msg);
		return rc;
	}
	rc = lab_up(lab, t, rundir, &e);
	if (rc)
		fprintf(stderr, "siplab: %s\n", e.msg);
	return rc;
}

static int lab_check(const struct lab_opts *o)
{
	struct topo *t;
	if (load_topology(o, &t))
		return EXIT_USAGE;
	struct lab lab;
	long long t0 = sys_now_ns();
	int rc = start_lab(o, &lab, t);
	if (rc)
		return env_exit(rc);
	char *d = lab_describe(&lab);
	printf("%s", d ? d : "");
	free(d);
	err_t e = {{0}};
	int bad = probe_matrix(&lab, stdout, &e);
	if (bad < 0)
		fprintf(stderr, "siplab: %s\n", e.msg);
	long long t1 = sys_now_ns();
	lab_down(&lab);
	long long t2 = sys_now_ns();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("  lab up %.1f ms, checks %.1f ms, down %.1f ms; peak memory of the lab "
	       "process %ld kB\n",
	       (double)lab.build_ns / 1e6, (double)(t1 - t0 - lab.build_ns) / 1e6,
	       (double)(t2 - t1) / 1e6, ru.ru_maxrss);
	printf("%s\n", bad == 0 ? "lab check: OK — every service host answered from every host"
	                        : "lab check: FAILED");
	return bad == 0 ? EXIT_OK : EXIT_FAIL;
}

/* With --detach the parent returns once the lab is up (or failed); the child
 * is the lab's owner from then on. The child's stderr goes to the parent
 * through a pipe until then, so errors still reach the terminal; the lab
 * ends its message with a NUL (its own processes keep copies of the pipe, so
 * no end of file comes), preceded by DETACH_FAILED if it did not start. */
#define DETACH_FAILED '\001'

static int detach(int *ready_fd)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		char buf[16384];
		size_t n = 0;
		int failed = 0;
		char c;
		while (read(pfd[0], &c, 1) == 1 && c != '\0') {
			if (c == DETACH_FAILED)
				failed = 1;
			else if (n + 1 < sizeof(buf))
				buf[n++] = c;
		}
		buf[n] = '\0';
		fputs(buf, failed || n == 0 ? stderr : stdout);
		exit(failed || n == 0 ? EXIT_FAIL : EXIT_OK);
	}
	close(pfd[0]);
	setsid();
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(pfd[1], 2);
	close(devnull);
	*ready_fd = pfd[1];
	return 0;
}

static void detach_done(int ready, const char *msg, int failed)
{
	char end[2] = {DETACH_FAILED, '\0'};
	if (msg)
		(void)!write(ready, msg, strlen(msg));
	(void)!write(ready, failed ? end : end + 1, failed ? 2 : 1);
	close(ready);
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 2);
	close(devnull);
}

static int lab_up_cmd(const struct lab_opts *o)
{
	struct topo *t;
	if (load_topology(o, &t))
		return EXIT_USAGE;
	int ready = -1;
	if (o->detach && detach(&ready) < 0) {
		perror("siplab: fork");
		return EXIT_FAIL;
	}
	struct lab lab;
	int rc = start_lab(o, &lab, t);
	if (rc) {
		if (ready >= 0)
			detach_done(ready, NULL, 1);
		return env_exit(rc);
	}
	err_t e = {{0}};
	int lfd = ctl_listen(lab.sb.rundir, &e);
	if (lfd < 0) {
		fprintf(stderr, "siplab: %s\n", e.msg);
		if (ready >= 0)
			detach_done(ready, NULL, 1);
		lab_down(&lab);
		return EXIT_FAIL;
	}
	char *d = lab_describe(&lab);
	char msg[8192];
	snprintf(msg, sizeof(msg),
	         "%slab \"%s\" is up (pid %d). Work inside it from another shell:\n"
	         "  siplab lab exec%s%s HOST -- CMD      e.g. HOST=%s CMD=\"ip addr\"\n"
	         "stop it with Ctrl-C%s or `siplab lab down%s%s`\n",
	         d ? d : "", o->name, (int)lab.sb.owner,
	         strcmp(o->name, "default") ? " --name " : "",
	         strcmp(o->name, "default") ? o->name : "", lab.topo->hosts[0].name,
	         o->detach ? " (not when detached)" : "",
	         strcmp(o->name, "default") ? " --name " : "",
	         strcmp(o->name, "default") ? o->name : "");
	free(d);
	if (ready >= 0) {
		detach_done(ready, msg, 0);
	} else {
		fputs(msg, stdout);
		fflush(stdout);
	}
	int sig = ctl_serve(&lab, lfd);
	fprintf(stderr, "siplab: lab \"%s\" going down%s%s\n", o->name, sig ? " on " : "",
	        sig ? sigabbrev_np(sig) : "");
	close(lfd);
	lab_down(&lab);
	return EXIT_OK;
}

/* --- a scenario's lab (up --scenario, run --keep) --------------------------------- */

/* --fault CODE[:k=v,...], one or more: the scenario's faults ("faults",
 * in place of its own "fault" or "faults"). */
static int with_faults(char **text, const struct lab_opts *o, err_t *e)
{
	cJSON *root = cJSON_Parse(*text);
	if (!root || !o->n_faults) {
		cJSON_Delete(root);
		return 0; /* the scenario's own error, if any, comes later */
	}
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < o->n_faults; i++) {
		const char *arg = o->faults[i], *kv = strchr(arg, ':');
		cJSON *f = cJSON_CreateObject(), *params;
		cJSON_AddItemToArray(list, f);
		char code[64], pairs[512];
		snprintf(code, sizeof(code), "%.*s", (int)strcspn(arg, ":"), arg);
		cJSON_AddStringToObject(f, "code", code);
		params = cJSON_AddObjectToObject(f, "params");
		snprintf(pairs, sizeof(pairs), "%s", kv ? kv + 1 : "");
		for (char *save = NULL, *p = strtok_r(pairs, ",", &save); p;
		     p = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(p, '=');
			if (!eq) {
				cJSON_Delete(root);
				cJSON_Delete(list);
				return err_set(
				        e, EINVAL,
				        "--fault %s: expected k=v after the code, got \"%s\"", arg,
				        p);
			}
			*eq = '\0';
			/* As `run --fault` gives them: the fault's parameter table
			 * reads and checks the text. */
			cJSON_AddStringToObject(params, p, eq + 1);
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(root, "fault");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "faults");
	cJSON_AddItemToObject(root, "faults", list);
	free(*text);
	*text = cJSON_Print(root);
	cJSON_Delete(root);
	return *text ? 0 : err_set(e, ENOMEM, "out of memory");
}

/* The kept lab is up (text) or failed (NULL): a detached parent hears it
 * through the pipe, a terminal reads it. */
static void scenario_up(void *arg, const char *text)
{
	int ready = *(int *)arg;
	if (ready >= 0)
		detach_done(ready, text, text == NULL);
	else if (text)
		fputs(text, stdout), fflush(stdout);
	*(int *)arg = -1;
}

static int lab_up_scenario(const struct lab_opts *o)
{
	static struct scenario s;
	err_t e;
	char *text = NULL, self[PATH_MAX], logs[PATH_MAX];
	int rc = jv_read_file(o->scenario, &text, &e);
	if (!rc)
		rc = with_faults(&text, o, &e);
	if (!rc)
		rc = scenario_parse(text, o->scenario, &s, &e);
	if (rc) {
		fprintf(stderr, "siplab lab: %s\n", e.msg);
		free(text);
		return EXIT_USAGE;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	/* The lab's processes run elsewhere: the log directory by its full name. */
	if (o->logs && o->logs[0] != '/' && !realpath(".", logs))
		logs[0] = '\0';
	else if (o->logs && o->logs[0] != '/')
		snprintf(logs + strlen(logs), sizeof(logs) - strlen(logs), "/%s", o->logs);
	int ready = -1;
	if (o->detach && detach(&ready) < 0) {
		perror("siplab: fork");
		free(text);
		return EXIT_FAIL;
	}
	struct runlab_opts ro = {.report = o->report ? o->report : "report.json",
	                         .logs = !o->logs            ? NULL
	                                 : o->logs[0] == '/' ? o->logs
	                                                     : logs,
	                         .quiet = o->quiet,
	                         .self = self,
	                         .worker = self,
	                         .keep = o->name,
	                         .with_workers = o->with_workers,
	                         .kept_up = scenario_up,
	                         .kept_arg = &ready};
	rc = runlab(&s, o->scenario, text, &ro);
	if (ready >= 0) /* it never came up, and said why on stderr */
		detach_done(ready, NULL, 1);
	free(text);
	return rc;
}

/* `siplab run FILE --keep [--fault ...]`: the same as `lab up --scenario FILE`. */
int cmd_run_keep(int argc, char **argv)
{
	struct lab_opts o;
	if (parse_opts(argc, argv, "hn:w:", &o) < 0)
		return EXIT_USAGE;
	if (!o.topology || o.scenario) {
		fprintf(stderr,
		        "usage: siplab run SCENARIO --keep [--fault CODE:k=v] [--name NAME] "
		        "[--detach] [--with-workers]\n");
		return EXIT_USAGE;
	}
	o.scenario = o.topology;
	o.topology = NULL;
	return lab_up_scenario(&o);
}

static int lab_exec_cmd(const struct lab_opts *o)
{
	if (!o->topology || o->n_rest < 1) {
		fprintf(stderr, "usage: siplab lab exec [--name NAME] HOST -- CMD [ARGS...]\n");
		return EXIT_USAGE;
	}
	err_t e = {{0}};
	int code = 0;
	if (ctl_exec(o->name, o->topology, o->rest, &code, &e)) {
		fprintf(stderr, "siplab: %s\n", e.msg);
		return 125;
	}
	return code;
}

static int lab_simple(const struct lab_opts *o, const char *sub)
{
	err_t e = {{0}};
	char *text = NULL;
	int rc;
	if (!strcmp(sub, "down"))
		rc = ctl_down(o->name, &e);
	else if (!strcmp(sub, "status"))
		rc = ctl_status(o->name, &text, &e);
	else
		rc = ctl_list(&text, &e);
	if (rc) {
		fprintf(stderr, "siplab: %s\n", e.msg);
		return EXIT_FAIL;
	}
	if (!strcmp(sub, "down"))
		printf("lab \"%s\" is down\n", o->name);
	else if (!strcmp(sub, "list") && text && !*text)
		printf("no lab is running\n");
	else if (text)
		fputs(text, stdout);
	free(text);
	return EXIT_OK;
}

int cmd_lab(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(lab_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *sub = argv[1];
	struct lab_opts o;
	if (parse_opts(argc - 1, argv + 1, "+hn:w:", &o) < 0)
		return EXIT_USAGE;
	if (!strcmp(sub, "up") && o.scenario)
		return lab_up_scenario(&o);
	if (!strcmp(sub, "check"))
		return lab_check(&o);
	if (!strcmp(sub, "up"))
		return lab_up_cmd(&o);
	if (!strcmp(sub, "exec"))
		return lab_exec_cmd(&o);
	if (!strcmp(sub, "down") || !strcmp(sub, "status") || !strcmp(sub, "list"))
		return lab_simple(&o, sub);
	if (!strcmp(sub, "topology")) {
		char *json = topo_standard_json(o.workers, o.nat);
		puts(json ? json : "");
		free(json);
		return json ? EXIT_OK : EXIT_FAIL;
	}
	fprintf(stderr, "siplab lab: unknown subcommand \"%s\" (see `siplab lab --help`)\n", sub);
	return EXIT_USAGE;
}
