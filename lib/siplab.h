/* siplab.h — what the whole program shares with the scripts that call it:
 * its version and the exit codes they can rely on. The codes are defined
 * here and nowhere else; SIPLAB_EXIT_CODES_HELP is their text, printed by
 * `siplab help` and `siplab run --help` (README "Exit codes" says the same). */
#ifndef SIPLAB_SIPLAB_H
#define SIPLAB_SIPLAB_H

#define SIPLAB_VERSION "0.1.0"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the job ran and something it checks did not hold */
	EXIT_USAGE = 2, /* bad command line or bad input file: nothing was started */
	EXIT_ENV = 3,   /* the lab could not run the test: the machine (namespaces,
	                 * permissions), or a lab process that failed — a worker that
	                 * exited at start, a service that never became ready. Not a
	                 * test result: nothing is diagnosed. */
};

#define SIPLAB_EXIT_CODES_HELP                                                             \
	"exit codes (every command):\n"                                                    \
	"  0  ok: every step held (run), a diagnosis was made (diagnose)\n"                \
	"  1  a check did not hold: a step of a scenario (also one stopped by\n"           \
	"     --timeout), nothing known fits (diagnose)\n"                                 \
	"  2  bad usage or input (a bad option, scenario or file): nothing was started\n"  \
	"  3  a lab error: the lab could not run the test (the machine cannot build a\n"   \
	"     lab, or a lab process failed — a worker that exited at start, a service\n" \
	"     that never became ready); nothing is diagnosed then\n"

#endif
