/* bench_catalogue.c — the scenario catalogue's wall time on this machine:
 * every documented failure reproduced, diagnosed, its remedy applied and
 * verified, several scenarios at once, with time compression. Target: under
 * 60 s for all of them. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <dirent.h>
#include <sys/stat.h>

#include "../diagnose/diagnose.h"
#include "../lib/jsonv.h"

/* The codes the scenario accepts as the top one, separated by spaces:
 * its "diagnosis" ("healthy" without one), any of a list (order-free), the
 * first of {"ranked": [...]}. */
static void expected_code(const char *scenario, char *out, size_t cap)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "scenarios/%s", scenario);
	cJSON *root = jv_read_tree(path);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(
	                    cJSON_GetObjectItemCaseSensitive(root, "expect"), "diagnosis"),
	            *c;
	const cJSON *ranked = cJSON_GetObjectItemCaseSensitive(d, "ranked");
	size_t n = 0;
	snprintf(out, cap, "%s", cJSON_IsString(d) ? d->valuestring : "healthy");
	if (cJSON_IsArray(ranked))
		snprintf(out, cap, "%s", cJSON_GetArrayItem(ranked, 0)->valuestring);
	if (cJSON_IsArray(d))
		cJSON_ArrayForEach (c, d)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? " " : "",
			                      c->valuestring);
	cJSON_Delete(root);
}

/* Whether code is one of the space-separated words of list. */
static int among(const char *code, const char *list)
{
	size_t len = strlen(code);
	for (const char *p = strstr(list, code); p; p = strstr(p + 1, code))
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return 1;
	return 0;
}

/* Diagnosis accuracy over the catalogue's fault runs: each report diagnosed
 * alone, its top code against what the scenario expects (a known gap counts
 * as wrong: it is one). */
static void accuracy(const char *dir)
{
	int runs = 0, right = 0, wrong = 0, unexplained = 0;
	char wrongs[2048] = "";
	size_t wl = 0;
	DIR *d = opendir("scenarios");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		char report[PATH_MAX], want[256];
		snprintf(report, sizeof(report), "%s/%.*s.report.json", dir, (int)(len - 5),
		         de->d_name);
		cJSON *rep = jv_read_tree(report);
		if (!rep)
			continue;
		expected_code(de->d_name, want, sizeof(want));
		cJSON *dx = diagnose(rep);
		const char *top = diagnose_top(dx);
		runs++;
		if (among(top, want)) {
			right++;
		} else {
			unexplained += !strcmp(top, "unexplained");
			wrong += !!strcmp(top, "unexplained");
			wl += (size_t)snprintf(
			        wrongs + wl, wl < sizeof(wrongs) ? sizeof(wrongs) - wl : 0,
			        "    %s: expected %s, diagnosed %s\n", de->d_name, want, top);
		}
		cJSON_Delete(dx);
		cJSON_Delete(rep);
	}
	if (d)
		closedir(d);
	printf("  diagnosis accuracy over %d fault runs (each report alone): %d right (%.0f %%), "
	       "%d wrong, %d unexplained (target: 100 %% right)\n%s",
	       runs, right, runs ? 100.0 * right / runs : 0, wrong, unexplained, wrongs);
}

int main(void)
{
	char dir[PATH_MAX], cmd[2 * PATH_MAX];
	static char out[262144];
	snprintf(dir, sizeof(dir), "/tmp/siplab-bench-catalogue.%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s run scenarios/ --report %s 2>&1", siplab_bin(), dir);
	long long t0 = sys_now_ns();
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	int rc = p ? pclose(p) : -1;
	double wall = (double)(sys_now_ns() - t0) / 1e9;
	out[n] = '\0';
	const char *table = strstr(out, "\nSCENARIO");
	printf("bench: the scenario catalogue, `siplab run scenarios/` (4 at a time, "
	       "time-compressed)\n");
	printf("%s\n", table ? table + 1 : out);
	int scenarios = 0;
	for (const char *l = table ? strchr(table + 1, '\n') : NULL; l; l = strchr(l + 1, '\n'))
		scenarios += !!strstr(l, ".json ");
	printf("  catalogue wall time: %.1f s for %d scenarios' runs, diagnoses and remedies "
	       "(target < 120 s on this 2-core machine): %.1f scenarios per minute\n",
	       wall, scenarios, wall > 0 ? 60 * scenarios / wall : 0);
	accuracy(dir);
	sys_rm_tree(dir);
	return rc == 0 && wall < 120 ? 0 : 1;
}
