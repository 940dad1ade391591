/* train.h — support-staff training (`siplab train`): cases drawn from the
 * scenario catalogue, each a variant of a scenario with its parameters
 * redrawn, and the trainee's answer scored against the guide's tree. All of
 * it is decided by one session seed, so a class can sit the same test. This
 * folder reads scenario files and the diagnosis rules' table; it never runs
 * a lab (sim/cli/cmd_train.c does, through `siplab run --once`). */
#ifndef SIPLAB_TRAIN_H
#define SIPLAB_TRAIN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/limits.h"

struct dx_rule;

enum train_level { TRAIN_EASY = 1, TRAIN_HARD = 2, TRAIN_MIXED = 3 };
enum train_result { TRAIN_WRONG = 0, TRAIN_BRANCH = 1, TRAIN_RIGHT = 2 };

#define TRAIN_CODE 48

struct train_case {
	char file[PATH_MAX]; /* the catalogue scenario it was drawn from */
	char name[64];       /* that scenario's "name" */
	enum train_level level;
	char why_hard[128]; /* what makes it hard ("" for easy) */
	/* The scenario's expected top diagnosis, and every code it accepts
	 * (the expected one first; a list diagnosis accepts each member). */
	char expected[TRAIN_CODE];
	char accepted[TRAIN_MAX_ACCEPT][TRAIN_CODE];
	int n_accepted, accepted_dropped;
	char *text;        /* the variant scenario's JSON (malloc'd), its seed set */
	char varied[512];  /* what the variant changed, in words */
	uint64_t run_seed; /* the run's seed ("seed" in text) */
};

/* Whether a scenario's JSON is a training case, and of which level: it must
 * expect a diagnosis other than healthy, with no known gap. Easy: a single
 * cause that fails the whole run (one fault or none, no scope, no timing, no
 * successes expected); hard: anything else (confounders, partial, mid-run,
 * several faults). Returns 1 and fills c's level, expected and accepted
 * codes; 0 when it is not a case. */
int train_classify(const char *json, struct train_case *c);

/* Redraw a scenario's parameters from seed, within what each fault declares
 * valid and in ways that keep its failure: signatures and rates of its
 * faults, which workers are aimed (the workers relabelled), endpoint counts
 * (scaled together, small tests only). Writes the variant's JSON to *out
 * (malloc'd) and what changed to varied. The variant is read back with
 * scenario_parse; one that would not read is not used (the scenario as
 * written instead, said in varied). */
int train_vary(const char *json, const char *origin, uint64_t seed, char **out, char *varied,
               size_t cap, err_t *e);

/* Draw n cases from the *.json scenarios of dir at a level: the eligible
 * scenarios shuffled by seed, taken in turn (again reshuffled when n is more
 * than they are), each varied and given its run seed from seed. */
int train_draw(const char *dir, enum train_level level, int n, uint64_t seed,
               struct train_case *out, err_t *e);
void train_case_free(struct train_case *c);

/* --- the guide's tree ----------------------------------------------------------------- */
/* The guide's sections in the menu's order (allocation, workers,
 * registration, call, negotiation, media, quality). */
#define TRAIN_SECTIONS 7
const char *train_section_name(int menu);
/* The rules of a menu section, ended by a row whose code is NULL. */
const struct dx_rule *train_section_rules(int menu);
/* The menu section a diagnosis code belongs to, or -1 when none has it. */
int train_section_of(const char *code);
/* The rule of a code (its branch and resolution), or NULL. */
const struct dx_rule *train_rule(const char *code);

/* Score an answer ("" or NULL: none): right when it is an accepted code,
 * branch when it is in the expected code's section, else wrong. */
enum train_result train_score(const struct train_case *c, const char *answer);
const char *train_result_name(enum train_result r); /* "right", "branch", "wrong" */

/* --- the score sheet ------------------------------------------------------------------ */
struct train_answer {
	char answer[TRAIN_CODE]; /* "" when none */
	enum train_result result;
	const char *note;           /* "time limit", "no answer", "lab error", or NULL */
	char diagnosis[TRAIN_CODE]; /* siplab's own top diagnosis of the run ("" none) */
	double seconds;             /* from the question to the answer */
};

struct train_session {
	const char *trainee;
	uint64_t seed;
	enum train_level level;
	int n;
	const struct train_case *cases;
	const struct train_answer *answers;
};

/* Points: 1 per right answer, 0.5 per right branch. */
double train_points(const struct train_session *s);
/* The cases that count: all but those whose lab failed ("lab error"). */
int train_counted(const struct train_session *s);
/* The sheet as JSON at path, and as CSV at path with its extension made
 * .csv (sheet.json -> sheet.csv; any other name gets .csv added). */
int train_sheet_write(const struct train_session *s, const char *path, err_t *e);
void train_csv_path(const char *json_path, char *out, size_t cap);

#endif
