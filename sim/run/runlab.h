/* runlab.h — one test run in a fresh lab: build the topology the scenario and
 * its fault ask for, start the far side, the platform gateway and the
 * workers, run the test and write its report (also when the run fails or is
 * interrupted). */
#ifndef SIPLAB_RUNLAB_H
#define SIPLAB_RUNLAB_H

#include "../model/scenario.h"

struct runlab_opts {
	const char *report; /* where the report goes */
	const char *logs;   /* keep every log and configuration here (absolute), or NULL */
	int quiet;          /* no progress lines */
	const char *self;   /* this program, for the lab's own processes */
	const char *worker; /* the program each worker runs (self, or --worker-program) */
	/* --pcap: the run's packet capture goes here, its TLS keys beside it
	 * (FILE.keys, or .keys for .pcapng), or NULL. With logs, the capture is
	 * always kept there too (capture.pcapng, capture.keys). */
	const char *pcap;
	/* `siplab lab up --scenario` / `run --keep`: the lab stays up under this
	 * name (`siplab lab exec/status/down --name`) with its far side and
	 * faults, until Ctrl-C or `lab down`; NULL for a plain run. The
	 * scenario's workers are not started, unless with_workers: then the
	 * run happens first (its report written) and the lab stays up after. */
	const char *keep;
	int with_workers;
	/* Called once a kept lab is up, with what it prints: the lab, where
	 * things run, the accounts and faults (cmd_lab's --detach answers with
	 * it); NULL prints it on stdout. */
	void (*kept_up)(void *arg, const char *text);
	void *kept_arg;
};

/* Run s. This process enters the lab's namespaces for good: call it in a
 * child. Returns EXIT_OK when the run COMPLETED with every endpoint
 * succeeding, EXIT_FAIL otherwise, EXIT_ENV when no lab could be built. */
int runlab(const struct scenario *s, const char *path, const char *text,
           const struct runlab_opts *o);

#endif
