/* jsonv.h — checked reading of JSON input files (topologies, registrar and
 * scenario configurations). Every error names the file, the field path and
 * what was expected, and shows what was found. */
#ifndef SIPLAB_JSONV_H
#define SIPLAB_JSONV_H

#include <cJSON.h>
#include <stddef.h>

#include "sys.h"

struct jv {
	const char *origin; /* file name (or another name for the source) */
	err_t *e;
};

/* "ORIGIN: FIELD: expected EXPECTED, got GOT"; returns -EINVAL. */
int jv_bad(struct jv *c, const char *field, const char *expected, const cJSON *got);
/* Refuse keys of obj that are not in the NULL-terminated list allowed. */
int jv_keys(struct jv *c, const cJSON *obj, const char *field, const char *const *allowed);
/* Copy string member key of obj into dst. Returns 1 when set, 0 when absent
 * (an error if required), or -EINVAL. */
int jv_str(struct jv *c, const cJSON *obj, const char *key, const char *field, char *dst,
           size_t cap, int required, const char *expected);
/* Integer member within [min, max]; same returns as jv_str. */
int jv_int(struct jv *c, const cJSON *obj, const char *key, const char *field, int *dst, int min,
           int max, int required);
/* Boolean member; same returns as jv_str. */
int jv_bool(struct jv *c, const cJSON *obj, const char *key, const char *field, int *dst);
/* Parse text; a syntax error names the line. Returns the tree or NULL. */
cJSON *jv_parse(struct jv *c, const char *text);
/* Read c->origin as a JSON object whose keys are all in `allowed`. Returns 0
 * and the tree in *root (free with cJSON_Delete), or an error in c->e. */
int jv_load_object(struct jv *c, const char *const *allowed, cJSON **root);
/* Read a whole file into a malloc'd string. */
int jv_read_file(const char *path, char **out, err_t *e);
/* Read a JSON file into a tree (free with cJSON_Delete); NULL when it cannot
 * be read or parsed. For files this program wrote (reports), not input. */
cJSON *jv_read_tree(const char *path);

#endif
