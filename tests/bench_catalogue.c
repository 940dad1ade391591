/* bench_catalogue.c — the scenario catalogue's wall time on this machine:
 * every documented failure reproduced, diagnosed, its remedy applied and
 * verified, several scenarios at once, with time compression. Target: under
 * 60 s for all of them. */
#define _GNU_SOURCE
#include "labrun.h"

#include <sys/stat.h>

int main(void)
{
	char dir[PATH_MAX], cmd[2 * PATH_MAX];
	static char out[65536];
	snprintf(dir, sizeof(dir), "/tmp/siplab-bench-catalogue.%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s run scenarios/ --report %s 2>&1", siplab_bin(), dir);
	long long t0 = sys_now_ns();
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	int rc = p ? pclose(p) : -1;
	double wall = (double)(sys_now_ns() - t0) / 1e9;
	out[n] = '\0';
	sys_rm_tree(dir);
	const char *table = strstr(out, "\nSCENARIO");
	printf("bench: the scenario catalogue, `siplab run scenarios/` (3 at a time, "
	       "time-compressed)\n");
	printf("%s\n", table ? table + 1 : out);
	printf("  catalogue wall time: %.1f s for every scenario's runs, diagnoses and remedies "
	       "(target < 60 s)\n",
	       wall);
	return rc == 0 && wall < 60 ? 0 : 1;
}
