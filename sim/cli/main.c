/* main.c — siplab: a self-contained SIP test lab. Dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"run", cmd_run, "run a test scenario in a fresh lab and write its report"},
        {"diagnose", cmd_diagnose,
         "diagnose a run from its report (or a packet capture), as the failure guide does"},
        {"report", cmd_report, "render a run's results.json as a table, JUnit XML or HTML"},
        {"train", cmd_train,
         "a training session: real failures, hidden; name the cause, get scored"},
        {"repro", cmd_repro,
         "reproduce a customer's failed run from its report, then prove the fix"},
        {"lab", cmd_lab, "build a lab network of hosts and links, and work inside it"},
        {"registrar", cmd_registrar, "run the lab's registrar and proxy (inside a lab host)"},
        {"dns", cmd_dns, "run the lab's DNS server (inside a lab host)"},
        {"stun", cmd_stun, "run the lab's STUN server (inside a lab host)"},
        {"alg", cmd_alg, "run a SIP ALG on the lab's NAT router (inside a lab host)"},
        {"callees", cmd_callees, "run the callee pool: answering UAs with RTP (inside a lab host)"},
        {"worker", cmd_worker, "run a platform worker and its endpoints (inside a lab host)"},
        {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f,
	        "siplab %s — a self-contained lab that reproduces SIP test failures with real\n"
	        "traffic in private Linux namespaces, and never touches the host's network.\n\n"
	        "usage: siplab COMMAND [ARGS...]\n\ncommands:\n",
	        SIPLAB_VERSION);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "  %-10s %s\n", "help", "this text; `siplab COMMAND --help` for one command");
	fprintf(f, "  %-10s %s\n", "version", "print the version");
	fprintf(f, "\nstart with:\n"
	           "  siplab run scenarios/healthy.json   a whole test run in a fresh lab, "
	           "with a report\n"
	           "  siplab lab check          build the standard lab, test every path, tear it "
	           "down\n"
	           "  siplab lab up             keep a lab running to explore "
	           "(`siplab lab --help`)\n"
	           "\n" SIPLAB_EXIT_CODES_HELP);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		printf("siplab %s\n", SIPLAB_VERSION);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(name, c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "siplab: unknown command \"%s\" (see `siplab help`)\n", name);
	return EXIT_USAGE;
}
