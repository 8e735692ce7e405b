/* oci_internal.h: typed JSON field readers shared by the config.json parser files. Each
 * names the field (prefix.key) in its error message. */
#ifndef RUNSC_OCI_INTERNAL_H
#define RUNSC_OCI_INTERNAL_H

#include "runsc/oci/oci.h"

/* Optional fields: absent (or JSON null) leaves *out unchanged and returns 0. A field of
 * the wrong type is an error. req: absent is an error too. */
int oci_get_str(json_t *obj, const char *prefix, const char *key, bool req, char **out,
		struct oci_error *e);
int oci_get_bool(json_t *obj, const char *prefix, const char *key, bool *out,
		 struct oci_error *e);
/* An integer in [lo, hi]. */
int oci_get_int(json_t *obj, const char *prefix, const char *key, int64_t lo, int64_t hi,
		bool req, int64_t *out, struct oci_error *e);
/* An unsigned 64-bit integer (JSON integers are signed: larger values are refused). */
int oci_get_u64(json_t *obj, const char *prefix, const char *key, uint64_t *out,
		struct oci_error *e);
/* An object (or absent: *out = NULL). */
int oci_get_obj(json_t *obj, const char *prefix, const char *key, json_t **out,
		struct oci_error *e);
/* An array (or absent: *out = NULL). */
int oci_get_arr(json_t *obj, const char *prefix, const char *key, json_t **out,
		struct oci_error *e);
/* Warn about every key of obj not in known (NULL-terminated). */
void oci_warn_unknown(json_t *obj, const char *prefix, const char *const *known,
		      struct oci_warnings *w);
/* Whether the field is present and not null/empty (for "not applied" warnings). */
bool oci_has(json_t *obj, const char *key);

/* A mount's options (mounts.c): flags, the data string, bind and readonly. Unknown words
 * get a warning; pfx names the mount in messages. */
int oci_mount_options(struct oci_mount *m, const char *pfx, struct oci_warnings *w,
		      struct oci_error *e);
/* Bind sources: relative to bundle unless absolute, canonicalized, must exist and be a
 * directory or a regular file (fills source_path, source_is_dir). */
int oci_mounts_resolve(struct oci_spec *s, const char *bundle, struct oci_error *e);

/* Compile linux.seccomp (seccomp.c). */
int oci_parse_seccomp(json_t *sc, struct oci_seccomp *out, struct oci_error *e);

/* linux.sysctl (sysctl.c): the Sentry's keys into s->sysctls, net.* warned, any other
 * key an error naming it. */
int oci_parse_sysctl(json_t *obj, struct oci_spec *s, struct oci_error *e);
void oci_sysctls_free(struct oci_spec *s);

/* Mounts, hooks and the linux object (spec_linux.c). */
int oci_parse_mounts(json_t *arr, struct oci_spec *s, struct oci_error *e);
int oci_parse_hooks(json_t *obj, struct oci_spec *s, struct oci_error *e);
int oci_parse_linux(json_t *obj, struct oci_spec *s, struct oci_error *e);

#endif
