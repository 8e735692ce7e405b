/* util.c: errors, warnings and typed JSON field readers for the config.json parser. */
#include "runsc/oci/oci_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

int oci_errorf(struct oci_error *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void oci_warn(struct oci_warnings *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!w)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	w->v = xrealloc(w->v, (size_t)(w->n + 1) * sizeof(char *));
	w->v[w->n++] = s;
}

void oci_warnings_free(struct oci_warnings *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

void oci_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

int oci_strv(json_t *arr, const char *prefix, char ***out, struct oci_error *e)
{
	size_t n, i;
	char **v;

	if (!json_is_array(arr))
		return oci_errorf(e, "%s: must be an array of strings", prefix);
	n = json_array_size(arr);
	v = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		json_t *it = json_array_get(arr, i);
		if (!json_is_string(it)) {
			oci_strv_free(v);
			return oci_errorf(e, "%s[%zu]: must be a string", prefix, i);
		}
		if (strlen(json_string_value(it)) != json_string_length(it)) {
			oci_strv_free(v);
			return oci_errorf(e, "%s[%zu]: contains a NUL byte", prefix, i);
		}
		v[i] = xstrdup(json_string_value(it));
	}
	*out = v;
	return 0;
}

/* The field, or NULL when absent or JSON null. */
static json_t *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

bool oci_has(json_t *obj, const char *key)
{
	json_t *v = field(obj, key);

	if (!v)
		return false;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return !json_is_false(v) && !(json_is_integer(v) && json_integer_value(v) == 0);
}

int oci_get_str(json_t *obj, const char *prefix, const char *key, bool req, char **out,
		struct oci_error *e)
{
	json_t *v = field(obj, key);

	if (!v)
		return req ? oci_errorf(e, "%s.%s: is required", prefix, key) : 0;
	if (!json_is_string(v))
		return oci_errorf(e, "%s.%s: must be a string", prefix, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return oci_errorf(e, "%s.%s: contains a NUL byte", prefix, key);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int oci_get_bool(json_t *obj, const char *prefix, const char *key, bool *out,
		 struct oci_error *e)
{
	json_t *v = field(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return oci_errorf(e, "%s.%s: must be true or false", prefix, key);
	*out = json_is_true(v);
	return 0;
}

int oci_get_int(json_t *obj, const char *prefix, const char *key, int64_t lo, int64_t hi,
		bool req, int64_t *out, struct oci_error *e)
{
	json_t *v = field(obj, key);

	if (!v)
		return req ? oci_errorf(e, "%s.%s: is required", prefix, key) : 0;
	if (!json_is_integer(v))
		return oci_errorf(e, "%s.%s: must be an integer", prefix, key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return oci_errorf(e, "%s.%s: %lld is out of range [%lld, %lld]", prefix, key,
				  (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

int oci_get_u64(json_t *obj, const char *prefix, const char *key, uint64_t *out,
		struct oci_error *e)
{
	int64_t v = 0;
	int err = oci_get_int(obj, prefix, key, 0, INT64_MAX, false, &v, e);

	if (!err && field(obj, key))
		*out = (uint64_t)v;
	return err;
}

int oci_get_obj(json_t *obj, const char *prefix, const char *key, json_t **out,
		struct oci_error *e)
{
	json_t *v = field(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return oci_errorf(e, "%s%s%s: must be an object", prefix, *prefix ? "." : "", key);
	*out = v;
	return 0;
}

int oci_get_arr(json_t *obj, const char *prefix, const char *key, json_t **out,
		struct oci_error *e)
{
	json_t *v = field(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return oci_errorf(e, "%s%s%s: must be an array", prefix, *prefix ? "." : "", key);
	*out = v;
	return 0;
}

void oci_warn_unknown(json_t *obj, const char *prefix, const char *const *known,
		      struct oci_warnings *w)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *const *k = known;
		while (*k && strcmp(*k, key))
			k++;
		if (!*k)
			oci_warn(w, "%s%s%s: unknown field, ignored", prefix, *prefix ? "." : "",
				 key);
	}
}
