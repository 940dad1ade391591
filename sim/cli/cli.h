/* cli.h — the siplab command line: one binary, one entry per subcommand. */
#ifndef SIPLAB_CLI_H
#define SIPLAB_CLI_H

#include "../../lib/siplab.h"

int cmd_lab(int argc, char **argv);
int cmd_registrar(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_stun(int argc, char **argv);
int cmd_alg(int argc, char **argv);
int cmd_callees(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* `siplab run SCENARIO --keep`: the scenario's lab kept up (cmd_lab.c). */
int cmd_run_keep(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_repro(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
