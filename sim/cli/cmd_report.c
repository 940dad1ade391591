/* cmd_report.c — `siplab report FILE`: a run's results.json rendered again,
 * as the terminal table, JUnit XML or the HTML report; or a run's
 * report.json as HTML. Nothing is run: the file holds everything. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/jsonv.h"
#include "../../html/html.h"
#include "cli.h"
#include "results.h"

static const char report_usage[] =
        "usage: siplab report RESULTS.json [--format table|junit|html] [-o FILE]\n"
        "       siplab report REPORT.json --html FILE\n"
        "\n"
        "Renders what `siplab run` wrote, without running anything. From a results.json\n"
        "(one scenario's, NAME.results.json, or a directory's, results.json; schema:\n"
        "docs/results.md):\n"
        "  --format table  the terminal table `siplab run DIR` prints (the default)\n"
        "  --format junit  JUnit XML, one testcase per scenario (docs/ci.md)\n"
        "  --format html   the HTML report of the scenario's first run, with its steps\n"
        "                  (one scenario's results only; needs -o)\n"
        "  -o, --output FILE  write there instead of standard output\n"
        "From a run's report.json: --html FILE (or --format html -o FILE) writes its\n"
        "HTML report.\n"
        "\n" SIPLAB_EXIT_CODES_HELP;

struct report_opts {
	const char *path, *format, *out, *html;
};

static int parse_report_opts(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
	                                         {"output", required_argument, NULL, 'o'},
	                                         {"html", required_argument, NULL, 'H'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->format = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			exit(EXIT_OK);
		default:
			fprintf(stderr, "(see `siplab report --help`)\n");
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "siplab report: expected one results.json or report.json (see "
		                "`siplab report --help`)\n");
		return -1;
	}
	o->path = argv[optind];
	if (o->html) {
		if (o->format && strcmp(o->format, "html")) {
			fprintf(stderr, "siplab report: --html and --format %s: choose one\n",
			        o->format);
			return -1;
		}
		o->format = "html";
		o->out = o->html;
	}
	if (!o->format)
		o->format = "table";
	if (strcmp(o->format, "table") && strcmp(o->format, "junit") && strcmp(o->format, "html")) {
		fprintf(stderr,
		        "siplab report: --format: expected table, junit or html, got \"%s\"\n",
		        o->format);
		return -1;
	}
	if (!strcmp(o->format, "html") && !o->out) {
		fprintf(stderr, "siplab report: --format html: name the file with -o FILE\n");
		return -1;
	}
	return 0;
}

static int render_html(const char *report, const char *results, const char *out)
{
	err_t e;
	if (html_write(report, results, out, &e)) {
		fprintf(stderr, "siplab report: %s: %s\n", out, e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* HTML from one scenario's results: the page of its first run. */
static int results_html(const cJSON *doc, const struct report_opts *o)
{
	const cJSON *sc = results_count(doc) == 1 ? results_at(doc, 0) : NULL;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if (!sc || (cJSON_IsString(kind) && strcmp(kind->valuestring, "scenario"))) {
		fprintf(stderr,
		        "siplab report: %s lists several scenarios: give one scenario's "
		        "NAME.results.json for --format html\n",
		        o->path);
		return EXIT_USAGE;
	}
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(sc, "reports"), "run");
	if (!cJSON_IsString(run)) {
		fprintf(stderr, "siplab report: %s: the scenario's run wrote no report\n", o->path);
		return EXIT_USAGE;
	}
	return render_html(run->valuestring, o->path, o->out);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	if (parse_report_opts(argc, argv, &o))
		return EXIT_USAGE;
	cJSON *doc = jv_read_tree(o.path);
	if (!doc) {
		fprintf(stderr, "siplab report: %s: cannot read it as JSON\n", o.path);
		return EXIT_USAGE;
	}
	err_t e;
	int rc;
	if (cJSON_GetObjectItemCaseSensitive(doc, "run") &&
	    !cJSON_GetObjectItemCaseSensitive(doc, "siplab_results")) {
		/* A run's report: only its HTML page can be made from it. */
		rc = strcmp(o.format, "html")
		             ? (fprintf(stderr,
		                        "siplab report: %s is a run's report, which has no steps: "
		                        "give --html FILE, or its results.json for --format %s\n",
		                        o.path, o.format),
		                EXIT_USAGE)
		             : render_html(o.path, NULL, o.out);
	} else if (results_check(doc, o.path, &e)) {
		fprintf(stderr, "siplab report: %s\n", e.msg);
		rc = EXIT_USAGE;
	} else if (!strcmp(o.format, "html")) {
		rc = results_html(doc, &o);
	} else {
		FILE *f = o.out ? fopen(o.out, "w") : stdout;
		if (!f) {
			fprintf(stderr, "siplab report: -o %s: %s\n", o.out, strerror(errno));
			cJSON_Delete(doc);
			return EXIT_USAGE;
		}
		if (!strcmp(o.format, "junit"))
			results_junit(doc, f);
		else
			results_table(doc, 0, f);
		int werr = ferror(f);
		if (o.out)
			werr |= fclose(f);
		rc = werr ? EXIT_FAIL : EXIT_OK;
	}
	cJSON_Delete(doc);
	return rc;
}
