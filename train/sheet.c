/* sheet.c — the score sheet of a session: the trainee's answers and score as
 * JSON (one object: the session, a case per row, the totals) and the same
 * rows as CSV beside it, for a trainer's spreadsheet. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "../lib/jsonv.h"
#include "train.h"

static const char *level_name(enum train_level l)
{
	return l == TRAIN_EASY ? "easy" : l == TRAIN_HARD ? "hard" : "mixed";
}

double train_points(const struct train_session *s)
{
	double p = 0;
	for (int k = 0; k < s->n; k++)
		p += s->answers[k].result == TRAIN_RIGHT    ? 1
		     : s->answers[k].result == TRAIN_BRANCH ? 0.5
		                                            : 0;
	return p;
}

static int voided(const struct train_answer *a)
{
	return a->note && !strcmp(a->note, "lab error");
}

int train_counted(const struct train_session *s)
{
	int n = 0;
	for (int k = 0; k < s->n; k++)
		n += !voided(&s->answers[k]);
	return n;
}

static int count(const struct train_session *s, enum train_result r)
{
	int n = 0;
	for (int k = 0; k < s->n; k++)
		n += s->answers[k].result == r && !voided(&s->answers[k]);
	return n;
}

void train_csv_path(const char *json_path, char *out, size_t cap)
{
	size_t n = strlen(json_path);
	if (n > 5 && !strcmp(json_path + n - 5, ".json"))
		snprintf(out, cap, "%.*s.csv", (int)(n - 5), json_path);
	else
		snprintf(out, cap, "%s.csv", json_path);
}

static cJSON *case_row(const struct train_case *c, const struct train_answer *a, int k)
{
	cJSON *row = cJSON_CreateObject(), *acc = cJSON_CreateArray();
	cJSON_AddNumberToObject(row, "case", k + 1);
	cJSON_AddStringToObject(row, "scenario", c->name);
	cJSON_AddStringToObject(row, "file", c->file);
	cJSON_AddStringToObject(row, "level", level_name(c->level));
	cJSON_AddStringToObject(row, "varied", c->varied);
	cJSON_AddNumberToObject(row, "run_seed", (double)c->run_seed);
	if (a->answer[0])
		cJSON_AddStringToObject(row, "answer", a->answer);
	else
		cJSON_AddNullToObject(row, "answer");
	cJSON_AddStringToObject(row, "expected", c->expected);
	for (int i = 0; i < c->n_accepted; i++)
		cJSON_AddItemToArray(acc, cJSON_CreateString(c->accepted[i]));
	cJSON_AddItemToObject(row, "accepted", acc);
	cJSON_AddStringToObject(row, "result", train_result_name(a->result));
	cJSON_AddStringToObject(row, "diagnosis", a->diagnosis);
	if (a->note)
		cJSON_AddStringToObject(row, "note", a->note);
	else
		cJSON_AddNullToObject(row, "note");
	cJSON_AddNumberToObject(row, "seconds", (double)(long)(a->seconds * 10) / 10);
	return row;
}

static cJSON *sheet_json(const struct train_session *s)
{
	cJSON *root = cJSON_CreateObject(), *cases = cJSON_CreateArray(), *score;
	cJSON_AddStringToObject(root, "trainee", s->trainee ? s->trainee : "");
	cJSON_AddNumberToObject(root, "seed", (double)s->seed);
	cJSON_AddStringToObject(root, "level", level_name(s->level));
	for (int k = 0; k < s->n; k++)
		cJSON_AddItemToArray(cases, case_row(&s->cases[k], &s->answers[k], k));
	cJSON_AddItemToObject(root, "cases", cases);
	score = cJSON_AddObjectToObject(root, "score");
	cJSON_AddNumberToObject(score, "right", count(s, TRAIN_RIGHT));
	cJSON_AddNumberToObject(score, "branch", count(s, TRAIN_BRANCH));
	cJSON_AddNumberToObject(score, "wrong", count(s, TRAIN_WRONG));
	cJSON_AddNumberToObject(score, "points", train_points(s));
	cJSON_AddNumberToObject(score, "of", train_counted(s));
	return root;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *v, const char *sep)
{
	if (strpbrk(v, ",\"\n\r")) {
		fputc('"', f);
		for (; *v; v++) {
			if (*v == '"')
				fputc('"', f);
			fputc(*v, f);
		}
		fputc('"', f);
	} else {
		fputs(v, f);
	}
	fputs(sep, f);
}

static int sheet_csv(const struct train_session *s, const char *path, err_t *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return err_set(e, errno, "--sheet %s: %s", path, strerror(errno));
	fputs("trainee,seed,case,scenario,level,answer,expected,result,note,seconds\n", f);
	for (int k = 0; k < s->n; k++) {
		const struct train_case *c = &s->cases[k];
		const struct train_answer *a = &s->answers[k];
		char seed[32], n[16], secs[32];
		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)s->seed);
		snprintf(n, sizeof(n), "%d", k + 1);
		snprintf(secs, sizeof(secs), "%.1f", a->seconds);
		csv_field(f, s->trainee ? s->trainee : "", ",");
		csv_field(f, seed, ",");
		csv_field(f, n, ",");
		csv_field(f, c->name, ",");
		csv_field(f, level_name(c->level), ",");
		csv_field(f, a->answer, ",");
		csv_field(f, c->expected, ",");
		csv_field(f, train_result_name(a->result), ",");
		csv_field(f, a->note ? a->note : "", ",");
		csv_field(f, secs, "\n");
	}
	if (fclose(f))
		return err_set(e, errno, "--sheet %s: %s", path, strerror(errno));
	return 0;
}

int train_sheet_write(const struct train_session *s, const char *path, err_t *e)
{
	char csv[PATH_MAX];
	cJSON *root = sheet_json(s);
	int rc = jv_write_tree(root, path, e);
	cJSON_Delete(root);
	train_csv_path(path, csv, sizeof(csv));
	return rc ? rc : sheet_csv(s, csv, e);
}
