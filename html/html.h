/* html.h — one run as a self-contained HTML page: its status and timeline,
 * the diagnosis with its evidence, outcome counts, a filterable table of
 * endpoints and, per endpoint, its SIP ladder and its media per direction.
 * Everything (CSS, the small script, the SVG ladders and charts, drawn here
 * in C) is inside the one file, so it opens offline (docs/html.md). */
#ifndef SIPLAB_HTML_H
#define SIPLAB_HTML_H

#include "../lib/err.h"

/* Write the page of report_json (a run's report.json, required) to
 * out_html. results_json, when not NULL, is the scenario's results.json:
 * its "steps" ({name, status, line, duration_s}) are shown as the run's
 * steps. Returns 0, or -1 with e set (a file that cannot be read or
 * written, a report that is not JSON). */
int html_write(const char *report_json, const char *results_json, const char *out_html, err_t *e);

#endif
