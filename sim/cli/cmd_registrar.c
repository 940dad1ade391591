/* cmd_registrar.c — `siplab registrar CONFIG`: run the lab's registrar/proxy. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../registrar/alg.h"
#include "../../registrar/callees.h"
#include "../../registrar/dns.h"
#include "../../registrar/registrar.h"
#include "../../registrar/stun.h"
#include "cli.h"
#include "../../lib/rng.h"

static const char usage[] =
        "usage: siplab registrar CONFIG.json [--seed N]\n"
        "\n"
        "Runs the lab's registrar and stateful proxy (usually inside the lab's registrar\n"
        "host: `siplab lab exec registrar -- siplab registrar reg.json`) until SIGTERM\n"
        "or Ctrl-C, logging every SIP message it sends and receives (time, direction,\n"
        "peer, first line, Call-ID) to stderr or the file in \"log\". With --seed, its\n"
        "digest secret and its SIP stack's tags and branch ids follow N (a lab's replay;\n"
        "`siplab run` gives one derived from the run's seed).\n"
        "\n"
        "CONFIG is a JSON object with these fields:\n";

static const char usage_tail[] =
        "\n"
        "Answers: 401 challenge, 401 again for wrong credentials, 403 for a disabled\n"
        "account, 404 for an unknown user or domain, 480 for a callee that is not\n"
        "registered.\n";

/* A usage text, the configuration's fields as a table, and what follows:
 * on stdout when asked for, else on stderr for a mistake. */
static int print_usage(int asked, const char *head, const struct field *t, const char *tail)
{
	FILE *f = asked ? stdout : stderr;
	fputs(head, f);
	fields_help(f, t, 100);
	fputs(tail, f);
	return asked ? EXIT_OK : EXIT_USAGE;
}

/* CONFIG alone, or CONFIG --seed N: 1 when argv is neither (or asks for help),
 * -1 when the seed is not a number (said on stderr). */
static int seed_args(int argc, char **argv, const char *prog, unsigned long long *seed, int *seeded)
{
	*seeded = 0;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return 1;
	if (argc == 2)
		return 0;
	uint64_t v;
	if (argc != 4 || strcmp(argv[2], "--seed"))
		return 1;
	if (rng_parse_seed(argv[3], UINT64_MAX, &v)) {
		fprintf(stderr, "siplab %s: --seed: expected a whole number, got \"%s\"\n", prog,
		        argv[3]);
		return -1;
	}
	*seed = v;
	*seeded = 1;
	return 0;
}

int cmd_registrar(int argc, char **argv)
{
	struct reg_config cfg;
	unsigned long long seed = 0;
	int seeded, bad = seed_args(argc, argv, "registrar", &seed, &seeded);
	if (bad < 0)
		return EXIT_USAGE;
	if (bad)
		return print_usage(argc == 2, usage, reg_config_fields, usage_tail);
	err_t e;
	if (reg_config_load(argv[1], &cfg, &e)) {
		fprintf(stderr, "siplab registrar: %s\n", e.msg);
		return EXIT_USAGE;
	}
	cfg.seed = seed;
	cfg.seeded = seeded;
	char made[64] = "";
	char agent[sizeof(cfg.tls_dir) + 16];
	snprintf(agent, sizeof(agent), "%s/agent.pem", cfg.tls_dir);
	if (cfg.tls && (!cfg.tls_dir[0] || access(agent, R_OK) != 0)) {
		/* No certificates yet: a lab CA of our own, in tls_dir when one is
		 * given (kept), else in a private temporary directory (removed). */
		char names[160];
		if (!cfg.tls_dir[0]) {
			snprintf(made, sizeof(made), "/tmp/siplab-certs.XXXXXX");
			if (!mkdtemp(made)) {
				perror("siplab registrar: mkdtemp");
				reg_config_free(&cfg);
				return EXIT_FAIL;
			}
			snprintf(cfg.tls_dir, sizeof(cfg.tls_dir), "%s", made);
		}
		snprintf(names, sizeof(names), "DNS:%s,IP:%s", cfg.domains[0],
		         strcmp(cfg.listen, "0.0.0.0") ? cfg.listen : "127.0.0.1");
		if (registrar_make_certs(cfg.tls_dir, cfg.domains[0], names, &e)) {
			fprintf(stderr, "siplab registrar: %s\n", e.msg);
			if (made[0])
				sys_rm_tree(made);
			reg_config_free(&cfg);
			return EXIT_FAIL;
		}
	}
	int rc = registrar_run(&cfg, &e);
	if (rc)
		fprintf(stderr, "siplab registrar: %s\n", e.msg);
	if (made[0])
		sys_rm_tree(made);
	reg_config_free(&cfg);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static const char dns_usage[] =
        "usage: siplab dns CONFIG.json\n"
        "\n"
        "Runs the lab's DNS server (usually in the lab's dns host) until SIGTERM or\n"
        "Ctrl-C. SIGHUP reloads CONFIG, so a failure can be switched on mid-run.\n"
        "Unknown names get NXDOMAIN at once.\n"
        "\n"
        "CONFIG is a JSON object with these fields:\n";

static const char dns_example[] =
        "\n"
        "For example: {\"listen\": \"10.10.4.2\",\n"
        "  \"records\": [{\"name\": \"registrar.lab\", \"type\": \"A\", \"value\": "
        "\"10.10.2.2\"},\n"
        "    {\"name\": \"_sip._udp.lab\", \"type\": \"SRV\", \"priority\": 10, \"weight\": 10,\n"
        "     \"port\": 5060, \"value\": \"registrar.lab\"},\n"
        "    {\"name\": \"lab\", \"type\": \"NAPTR\", \"order\": 10, \"preference\": 10,\n"
        "     \"flags\": \"s\", \"service\": \"SIP+D2U\", \"value\": \"_sip._udp.lab\"}],\n"
        "  \"faults\": [{\"name\": \"registrar.lab\", \"mode\": \"wrong\", \"address\": "
        "\"10.10.9.9\"}]}\n";

int cmd_dns(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return print_usage(argc == 2, dns_usage, dns_config_fields, dns_example);
	err_t e;
	int rc = dns_run(argv[1], &e);
	if (rc)
		fprintf(stderr, "siplab dns: %s\n", e.msg);
	return rc == -EINVAL ? EXIT_USAGE : rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_stun(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
		fputs("usage: siplab stun [ADDRESS[:PORT]]\n\n"
		      "Runs the lab's STUN server (RFC 5389 Binding; RFC 3489 clients get\n"
		      "MAPPED-ADDRESS) on ADDRESS:PORT (default 0.0.0.0:3478) until SIGTERM.\n",
		      argc == 2 ? stdout : stderr);
		return argc == 2 ? EXIT_OK : EXIT_USAGE;
	}
	char addr[64] = "0.0.0.0";
	int port = 3478;
	if (argc == 2) {
		snprintf(addr, sizeof(addr), "%s", argv[1]);
		char *colon = strchr(addr, ':');
		if (colon) {
			*colon = '\0';
			port = atoi(colon + 1);
		}
		if (port <= 0 || port > 65535) {
			fprintf(stderr, "siplab stun: \"%s\": expected ADDRESS[:PORT]\n", argv[1]);
			return EXIT_USAGE;
		}
	}
	err_t e;
	int rc = stun_run(addr, port, &e);
	if (rc)
		fprintf(stderr, "siplab stun: %s\n", e.msg);
	return rc == -EINVAL ? EXIT_USAGE : rc ? EXIT_FAIL : EXIT_OK;
}

/* "ADDRESS:PORT" into its parts; 0 when well-formed. */
static int addr_port(const char *arg, char *addr, size_t cap, int *port)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= cap)
		return -1;
	snprintf(addr, cap, "%.*s", (int)(colon - arg), arg);
	*port = atoi(colon + 1);
	return *port > 0 && *port <= 65535 ? 0 : -1;
}

int cmd_alg(int argc, char **argv)
{
	char listen[64], up[64];
	int lport, uport;
	int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
	if (help || argc != 4 || addr_port(argv[1], listen, sizeof(listen), &lport) ||
	    addr_port(argv[2], up, sizeof(up), &uport)) {
		fputs("usage: siplab alg LISTEN:PORT UPSTREAM:PORT OUTSIDE\n\n"
		      "Runs a SIP ALG (inside the lab's NAT router, where nftables redirect the\n"
		      "inside clients' SIP/UDP to LISTEN:PORT) until SIGTERM. Each client gets a\n"
		      "socket on the OUTSIDE address; what it sends goes to UPSTREAM:PORT with "
		      "the\n"
		      "top Via and the Contact rewritten to that socket, the SDP's c= and o= to\n"
		      "OUTSIDE, and (its bug) the Authorization's uri= host to UPSTREAM, which\n"
		      "breaks the digest response. Replies go back as they came.\n",
		      help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	err_t e;
	int rc = alg_run(listen, lport, up, uport, argv[3], &e);
	if (rc)
		fprintf(stderr, "siplab alg: %s\n", e.msg);
	return rc == -EINVAL ? EXIT_USAGE : rc ? EXIT_FAIL : EXIT_OK;
}

static const char callees_usage[] =
        "usage: siplab callees CONFIG.json [--seed N]\n"
        "\n"
        "Runs the callee pool (usually in the lab's callee host): accounts\n"
        "PREFIX0001... registered to the registrar, answering calls with real RTP\n"
        "(G.711 tone, and an echo of what they hear) until SIGTERM. With --seed, the\n"
        "SSRCs of its calls (by each call's Call-ID) and its SIP stack's tags follow N.\n"
        "\n"
        "CONFIG is a JSON object with these fields:\n";

int cmd_callees(int argc, char **argv)
{
	unsigned long long seed = 0;
	int seeded, bad = seed_args(argc, argv, "callees", &seed, &seeded);
	if (bad < 0)
		return EXIT_USAGE;
	if (bad)
		return print_usage(argc == 2, callees_usage, callees_config_fields, "");
	struct callees_config c;
	err_t e;
	if (callees_config_load(argv[1], &c, &e)) {
		fprintf(stderr, "siplab callees: %s\n", e.msg);
		return EXIT_USAGE;
	}
	c.seed = seed;
	c.seeded = seeded;
	int rc = callees_run(&c, &e);
	if (rc)
		fprintf(stderr, "siplab callees: %s\n", e.msg);
	return rc ? EXIT_FAIL : EXIT_OK;
}
