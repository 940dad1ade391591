/* jsonv.c — checked reading of JSON input files (see jsonv.h). */
#define _GNU_SOURCE
#include "jsonv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jv_bad(struct jv *c, const char *field, const char *expected, const cJSON *got)
{
	char *s = got ? cJSON_PrintUnformatted(got) : NULL;
	char shown[80] = "nothing";
	if (s) {
		snprintf(shown, sizeof(shown), "%s", s);
		if (strlen(s) >= sizeof(shown))
			memcpy(shown + sizeof(shown) - 4, "...", 4);
	}
	free(s);
	return err_set(c->e, EINVAL, "%s: %s: expected %s, got %s", c->origin, field, expected,
	               shown);
}

int jv_keys(struct jv *c, const cJSON *obj, const char *field, const char *const *allowed)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, obj) {
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(it->string, allowed[i]);
		if (ok)
			continue;
		char list[512] = "";
		for (int i = 0; allowed[i]; i++) {
			strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
		}
		return err_set(c->e, EINVAL, "%s: %s%s%s: unknown field (expected one of: %s)",
		               c->origin, field, *field ? "." : "", it->string, list);
	}
	return 0;
}

cJSON *jv_parse(struct jv *c, const char *text)
{
	cJSON *root = cJSON_Parse(text);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		int line = 1;
		for (const char *p = text; at && p < at; p++)
			line += *p == '\n';
		err_set(c->e, EINVAL, "%s: line %d: not valid JSON (near \"%.20s\")", c->origin,
		        line, at ? at : "");
	}
	return root;
}

int jv_read_file(const char *path, char **out, err_t *e)
{
	FILE *f = fopen(path, "re");
	*out = NULL;
	if (!f)
		return err_set(e, errno, "%s: cannot open: %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return err_set(e, ENOMEM, "%s: out of memory", path);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

cJSON *jv_read_tree(const char *path)
{
	char *text = NULL;
	err_t e;
	if (jv_read_file(path, &text, &e))
		return NULL;
	cJSON *t = cJSON_Parse(text);
	free(text);
	return t;
}

int jv_write_tree(const cJSON *tree, const char *path, err_t *e)
{
	char *text = cJSON_Print(tree);
	if (!text)
		return err_set(e, ENOMEM, "out of memory writing %s", path);
	int rc = sys_write_file(path, text, strlen(text), 1, e);
	free(text);
	return rc;
}

void jv_set(cJSON *obj, const char *key, cJSON *item)
{
	if (cJSON_HasObjectItem(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
	else
		cJSON_AddItemToObject(obj, key, item);
}
