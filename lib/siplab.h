/* siplab.h — what the whole program shares with the scripts that call it:
 * its version and the exit codes they can rely on. */
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

#endif
