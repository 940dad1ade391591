/* cmd_worker.c — `siplab worker`: a platform worker, inside a lab host. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../../lib/rng.h"
#include "../platform/wire.h"
#include "../worker/worker.h"

static const char usage[] =
        "usage: siplab worker --gateway HOST[:PORT] --bind ADDR [OPTIONS]\n"
        "\n"
        "A platform worker: connects to the platform gateway (inside a lab, `siplab run`\n"
        "starts one per worker host), authenticates with a worker token, sends\n"
        "heartbeats, and runs the SIP endpoints it is dispatched: registration, calls\n"
        "with RTP/SRTP media, and a record per endpoint (phase, outcome, SIP code,\n"
        "the trace of every SIP message, media metrics) streamed back to the gateway.\n"
        "\n"
        "options:\n"
        "  --gateway HOST[:PORT]  the gateway, an address or a name resolved through\n"
        "                         the host's DNS (port 7000 if not given); retried\n"
        "                         for a minute while unreachable\n"
        "  --bind ADDR            this host's address, for SIP and RTP\n"
        "  --name NAME            the worker's name (default: worker)\n"
        "  --region REGION        its region (default: lab)\n"
        "  --capacity N           most endpoints it takes at once (default 5000)\n"
        "  --seed N               its seed: SSRCs, SRTP keys, Call-IDs and tags derive\n"
        "                         from it (default: a fresh one; `siplab run` gives one\n"
        "                         derived from the run's)\n"
        "\n"
        "The token (cmw_ and 64 hex characters) is read from the environment variable\n"
        "SIPLAB_WORKER_TOKEN, so it does not show in the process list.\n";

static int parse(int argc, char **argv, struct worker_opts *o)
{
	static const struct option longopts[] = {{"gateway", required_argument, NULL, 'g'},
	                                         {"bind", required_argument, NULL, 'b'},
	                                         {"name", required_argument, NULL, 'n'},
	                                         {"region", required_argument, NULL, 'r'},
	                                         {"capacity", required_argument, NULL, 'c'},
	                                         {"seed", required_argument, NULL, 's'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "worker");
	snprintf(o->region, sizeof(o->region), "lab");
	o->port = 7000;
	o->capacity = 5000;
	o->seed = rng_fresh_seed();
	optind = 1;
	int c;
	uint64_t seed;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'g':
			snprintf(o->gateway, sizeof(o->gateway), "%.*s", (int)strcspn(optarg, ":"),
			         optarg);
			if (strchr(optarg, ':'))
				o->port = atoi(strchr(optarg, ':') + 1);
			break;
		case 'b':
			snprintf(o->bind, sizeof(o->bind), "%s", optarg);
			break;
		case 'n':
			snprintf(o->name, sizeof(o->name), "%s", optarg);
			break;
		case 'r':
			snprintf(o->region, sizeof(o->region), "%s", optarg);
			break;
		case 'c':
			o->capacity = (int)strtol(optarg, &end, 10);
			if (*end || o->capacity < 1) {
				fprintf(stderr,
				        "siplab worker: --capacity: expected a positive "
				        "number, got \"%s\"\n",
				        optarg);
				return -1;
			}
			break;
		case 's':
			if (rng_parse_seed(optarg, UINT64_MAX, &seed)) {
				fprintf(stderr,
				        "siplab worker: --seed: expected a whole number, got "
				        "\"%s\"\n",
				        optarg);
				return -1;
			}
			o->seed = seed;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(EXIT_OK);
		default:
			fprintf(stderr, "(see `siplab worker --help`)\n");
			return -1;
		}
	}
	if (!o->gateway[0] || !o->bind[0] || o->port < 1 || o->port > 65535) {
		fprintf(stderr, "siplab worker: --gateway HOST[:PORT] and --bind ADDR are needed "
		                "(see `siplab worker --help`)\n");
		return -1;
	}
	const char *tok = getenv("SIPLAB_WORKER_TOKEN");
	if (!wire_token_valid(tok)) {
		fprintf(stderr,
		        "siplab worker: SIPLAB_WORKER_TOKEN: expected cmw_ and 64 hex "
		        "characters, got %s\n",
		        tok ? "something else" : "nothing");
		return -1;
	}
	snprintf(o->token, sizeof(o->token), "%s", tok);
	return 0;
}

int cmd_worker(int argc, char **argv)
{
	struct worker_opts o;
	if (parse(argc, argv, &o))
		return EXIT_USAGE;
	err_t e;
	int rc = worker_run(&o, &e);
	if (rc) {
		fprintf(stderr, "siplab worker: %s\n", e.msg);
		return rc == -EACCES ? EXIT_ENV : EXIT_FAIL;
	}
	return EXIT_OK;
}
