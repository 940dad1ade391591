/* jsonv.h — checked reading of JSON input files (topologies, registrar and
 * scenario configurations): the reading context, errors that name the file,
 * the field path and what was expected and show what was found, and files.
 * The configurations themselves are read through field tables (fields.h). */
#ifndef SIPLAB_JSONV_H
#define SIPLAB_JSONV_H

#include <cJSON.h>
#include <stddef.h>

#include "sys.h"

struct jv {
	const char *origin; /* file name (or another name for the source) */
	err_t *e;
	void *top; /* the struct being filled, for field-table hooks (fields.h) */
};

/* "ORIGIN: FIELD: expected EXPECTED, got GOT"; returns -EINVAL. */
int jv_bad(struct jv *c, const char *field, const char *expected, const cJSON *got);
/* Refuse keys of obj that are not in the NULL-terminated list allowed. */
int jv_keys(struct jv *c, const cJSON *obj, const char *field, const char *const *allowed);
/* Parse text; a syntax error names the line. Returns the tree or NULL. */
cJSON *jv_parse(struct jv *c, const char *text);
/* Read a whole file into a malloc'd string. */
int jv_read_file(const char *path, char **out, err_t *e);
/* Read a JSON file into a tree (free with cJSON_Delete); NULL when it cannot
 * be read or parsed. For files this program wrote (reports), not input. */
cJSON *jv_read_tree(const char *path);
/* Write a tree to path (created or truncated), indented for a reader. */
int jv_write_tree(const cJSON *tree, const char *path, err_t *e);
/* obj[key] = item, whether or not the key was there (cJSON's replace does
 * nothing when it is not, and its add makes a second one when it is). */
void jv_set(cJSON *obj, const char *key, cJSON *item);

#endif
