/* cli.h — the siplab command line: one binary, one entry per subcommand. */
#ifndef SIPLAB_CLI_H
#define SIPLAB_CLI_H

#define SIPLAB_VERSION "0.1.0"

/* Exit codes scripts can rely on. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the job ran and something it checks did not hold */
	EXIT_USAGE = 2, /* bad command line or bad input file: nothing was started */
	EXIT_ENV = 3,   /* the machine cannot run the lab (namespaces, permissions) */
};

int cmd_lab(int argc, char **argv);
int cmd_registrar(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_stun(int argc, char **argv);
int cmd_callees(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
