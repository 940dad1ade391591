/* labfile.h — lab.json, the answer key of a run: what the lab did and saw that
 * a hosted platform would not know. The scenario file, the fault and its
 * parameters, the expectation and the remedy, the time scale, the topology,
 * and the lab's own observations (when the fault acted, the actions it took,
 * how each worker process ended and whether its cgroup's OOM killer did it).
 * It sits beside report.json; the diagnosis never reads it. */
#ifndef SIPLAB_LABFILE_H
#define SIPLAB_LABFILE_H

#include <cJSON.h>

#include "../../lib/err.h"
#include "../../netns/lab.h"
#include "../model/scenario.h"

struct labfile {
	cJSON *root;
	cJSON *observed; /* [{"t_ms", "what"}], in the scenario's time */
	cJSON *workers;  /* [{"name", "t_ms", "exit", "oom_killed"}] */
	double k;        /* scenario milliseconds per lab millisecond */
};

/* Start lab.json for scenario s, read from path (text is its JSON). */
void labfile_init(struct labfile *l, const struct scenario *s, const char *path, const char *text);
/* The topology the lab was built from (JSON text). */
void labfile_topology(struct labfile *l, const char *json);
/* Where the lab kept every service's log and configuration. */
void labfile_logs(struct labfile *l, const char *dir);
/* An observation at lab_ms on the lab's clock (stretched to scenario time). */
void labfile_note(struct labfile *l, long long lab_ms, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* How a worker's process ended, as the lab (its parent) saw it. */
void labfile_worker_exit(struct labfile *l, long long lab_ms, const char *name,
                         const struct lab_status *st);
int labfile_write(const struct labfile *l, const char *path, err_t *e);
void labfile_free(struct labfile *l);

/* lab.json's path beside a report's: the last "report" that is a word of
 * its file name becomes "lab" ("report.json" -> "lab.json",
 * "x.report.remedy.json" -> "x.lab.remedy.json"); another name gets ".lab"
 * ("x.json" -> "x.lab.json", "myreport.json" -> "myreport.lab.json").
 * -ENAMETOOLONG when it does not fit in cap. */
int labfile_path(const char *report, char *out, size_t cap, err_t *e);

#endif
