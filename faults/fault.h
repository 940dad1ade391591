/* fault.h — the fault injector's catalogue. One file per documented failure
 * (codes from the fault catalogue, so reports, scenarios and the guide use the
 * same names), each one entry: a code, a one-line description, typed
 * parameters with defaults, ranges and units, what the fault requires of the
 * lab, and the hooks that carry out its mechanism through the lab-edit API
 * (labedit.h). A fault does not flip a flag in the code under test: it
 * changes what the lab is built with — the registrar's configuration, the
 * DNS answers, the routers' nftables rules and conntrack sysctls, a worker's
 * memory cgroup, the SBC's SDP rewriting — or acts on the running lab.
 *
 * Adding a fault is adding its file here (the registry is generated from
 * this folder by the Makefile: every faults/<name>.c defines
 * `const struct fault fault_<name>`), its scenario in scenarios/, its rule in
 * diagnose/rules_<section>.c, and its test. */
#ifndef SIPLAB_FAULT_H
#define SIPLAB_FAULT_H

#include <errno.h>

#include "../lib/err.h"
#include "../lib/limits.h"
#include "labedit.h"

/* What a parameter holds, and how a scenario writes it. */
enum fault_ptype {
	FP_INT,      /* a whole number within [min, max] */
	FP_NUMBER,   /* a number within [min, max] */
	FP_DURATION, /* seconds of scenario time within [min, max]; the fault scales them */
	FP_ENUM,     /* one of choices */
	FP_LIST,     /* [min, max] of choices: an array, or words separated by commas */
	FP_NAME,     /* a name: letters, digits, '.', '-', '_' */
};

struct fault_param {
	const char *name;
	enum fault_ptype type;
	const char *dflt; /* as a scenario would write it: "20", "0.5", "opus,PCMU" */
	double min, max;  /* numbers and durations: the range; lists: how many */
	const char *unit; /* "per second", "MB", "s" — for --faults and errors */
	const char *help;
	const char *const *choices; /* FP_ENUM, FP_LIST; NULL-terminated */
};

/* One parameter's value, read and checked. */
struct fault_value {
	double num;                              /* FP_INT, FP_NUMBER, FP_DURATION */
	char text[FAULT_TEXT];                   /* FP_ENUM, FP_NAME */
	char items[FAULT_MAX_ITEMS][FAULT_ITEM]; /* FP_LIST */
	int n_items;
};

struct fault_args {
	struct fault_value v[FAULT_MAX_PARAMS]; /* in the order of the fault's params */
};

/* What a fault needs of the lab; a scenario that does not have it is refused
 * when it is read, by the fault's own words. */
enum fault_needs {
	FAULT_NEEDS_SIPLAB_REGISTRAR = 1 << 0, /* acts on siplab's registrar, not Kamailio */
};

/* Where a fault can be aimed (scenario "scope"), by what its mechanism
 * reaches: the hosts of some workers, one group's registrar name and port,
 * or one name. */
enum fault_scope {
	FAULT_SCOPE_WORKER = 1 << 0, /* scope.workers: through le_hosts/le_sources("worker") */
	FAULT_SCOPE_GROUP = 1 << 1,  /* scope.group: through le_scope_name/le_scope_port */
	FAULT_SCOPE_NAME = 1 << 2,   /* scope.name: through le_scope_name */
};

/* When a fault can strike (scenario "at_s", "until_s"). Edits made in the
 * topology hook (nftables rulesets, sysctls) are then held back and made on
 * the running lab at at_s, and undone at until_s; the run_start hook is
 * called at at_s and run_stop at until_s. */
enum fault_timing {
	FAULT_TIMING_AT = 1 << 0,       /* switched on mid-run */
	FAULT_TIMING_UNTIL = 1 << 1,    /* switched off mid-run */
	FAULT_TIMING_NEEDS_AT = 1 << 2, /* only mid-run: at_s is required */
};

struct fault {
	const char *code;
	const char *summary;
	const char *applied;  /* when and how, in a few words */
	const char *reverted; /* how it is undone */
	unsigned needs;       /* enum fault_needs */
	struct fault_param params[FAULT_MAX_PARAMS];
	/* The hooks, each optional, called in this order. A hook reads its
	 * parameters from a and changes the lab through le (labedit.h). */
	int (*shape)(struct lab_edit *le, const struct fault_args *a,
	             err_t *e); /* before the topology exists */
	int (*topology)(struct lab_edit *le, const struct fault_args *a,
	                err_t *e); /* hosts, by role */
	int (*far_side)(struct lab_edit *le, const struct fault_args *a,
	                err_t *e); /* the far side's configuration */
	int (*run_start)(struct lab_edit *le, const struct fault_args *a,
	                 err_t *e); /* as the run starts, or at at_s */
	unsigned scopes;            /* enum fault_scope */
	unsigned timing;            /* enum fault_timing */
	int (*run_stop)(struct lab_edit *le, const struct fault_args *a,
	                err_t *e); /* at until_s: undo what run_start did */
	/* The fault means the workers never reach the gateway: the run goes on
	 * to pre-flight after a short wait instead of calling it a lab error. */
	int keeps_workers_offline;
};

/* Every fault, NULL-terminated (generated from this folder). */
extern const struct fault *const fault_catalogue[];

const struct fault *fault_find(const char *code);
/* Index of a parameter by name, or -1. */
int fault_param_index(const struct fault *f, const char *name);
/* Read one parameter's value from JSON (a number, or a string holding one;
 * an enum's word; a list as an array or "a,b"), checked against its type,
 * range and choices. The error names the fault, the parameter and what was
 * expected. */
int fault_param_read(const struct fault *f, int i, const cJSON *v, struct fault_value *out,
                     err_t *e);
/* Every parameter at its default. */
int fault_defaults(const struct fault *f, struct fault_args *a, err_t *e);
/* The type, range and unit of a parameter, in words ("a number of per second,
 * 1 to 100000"). */
void fault_param_describe(const struct fault_param *p, char *buf, size_t cap);
/* Whether the scenario's far side has what the fault needs; the error says
 * what is missing. registrar is "siplab" or "kamailio". */
int fault_check_needs(const struct fault *f, const char *registrar, err_t *e);
/* What a fault's scope and timing support is, in words ("workers, group;
 * at_s, until_s", or "none"), for --faults and errors. */
void fault_describe_reach(const struct fault *f, char *scope, size_t scap, char *timing,
                          size_t tcap);

#endif
