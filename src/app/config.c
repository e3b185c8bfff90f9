/* config.c - the --config file as an argument list; see config.h. */
#include "app/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/limits.h"

#define CONFIG_KEY_BYTES_MAX 64

/* The option named like key ('_' for '-'), or NULL. */
static const struct option *option_of(const struct option *opts, const char *key)
{
    char name[CONFIG_KEY_BYTES_MAX];
    size_t n = strlen(key);
    if (n == 0 || n >= sizeof(name))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        name[i] = key[i] == '_' ? '-' : key[i];
    for (const struct option *o = opts; o->name; o++)
        if (strcmp(o->name, name) == 0 && strcmp(name, "config") != 0 && strcmp(name, "help") != 0)
            return o;
    return NULL;
}

/* The file's bytes (at most FG_CONFIG_BYTES_MAX) into a new JSON object. */
static json_t *config_read(const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_cap, "cannot open %s", path);
        return NULL;
    }
    char *buf = malloc(FG_CONFIG_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, FG_CONFIG_BYTES_MAX + 1, f) : 0;
    bool bad = !buf || ferror(f) || n > FG_CONFIG_BYTES_MAX;
    fclose(f);
    json_t *obj = NULL;
    struct fg_err e = {0};
    if (bad)
        snprintf(err, err_cap, "%s: cannot be read, or is over %d bytes", path,
                 FG_CONFIG_BYTES_MAX);
    else if (jsonx_parse_object(buf, n, &obj, &e) < 0)
        snprintf(err, err_cap, "%s: %s", path, e.msg);
    free(buf);
    return obj;
}

/* "--name", malloc'd (NULL when out of memory). */
static char *dashed(const char *name)
{
    size_t n = strlen(name);
    char *s = malloc(n + 3);
    if (s) {
        memcpy(s, "--", 2);
        memcpy(s + 2, name, n + 1);
    }
    return s;
}

/* Append one key's arguments; false with err when the value does not fit. */
static bool config_item(const struct option *o, const char *key, json_t *v, char **argv, int *argc,
                        char *err, size_t err_cap)
{
    char text[FG_FILE_PATH_BYTES_MAX + 1];
    if (o->has_arg == no_argument) {
        if (!json_is_boolean(v)) {
            snprintf(err, err_cap, "key '%s' must be true or false", key);
            return false;
        }
        if (json_is_true(v))
            argv[(*argc)++] = dashed(o->name);
        return true;
    }
    if (json_is_string(v) && json_string_length(v) < sizeof(text) &&
        strlen(json_string_value(v)) == json_string_length(v))
        snprintf(text, sizeof(text), "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    else {
        snprintf(err, err_cap, "key '%s' must be a string (at most %d bytes) or an integer", key,
                 FG_FILE_PATH_BYTES_MAX);
        return false;
    }
    argv[(*argc)++] = dashed(o->name);
    argv[(*argc)++] = strdup(text);
    return true;
}

int config_file_argv(const char *path, const struct option *opts, int *argc, char ***argv,
                     char *err, size_t err_cap)
{
    json_t *obj = config_read(path, err, err_cap);
    if (!obj)
        return -1;
    size_t cap = 2 * json_object_size(obj) + 2;
    char **out = calloc(cap, sizeof(*out));
    int n = 0;
    bool ok = out != NULL;
    if (ok)
        out[n++] = strdup("fundgate");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!ok || key[0] == '_')
            continue;
        const struct option *o = option_of(opts, key);
        if (!o) {
            snprintf(err, err_cap, "%s: unknown key '%.64s'", path, key);
            ok = false;
        } else {
            ok = config_item(o, key, v, out, &n, err, err_cap);
        }
    }
    json_decref(obj);
    for (int i = 0; ok && i < n; i++)
        ok = out[i] != NULL;
    if (!ok) {
        config_argv_free(n, out);
        return -1;
    }
    *argc = n;
    *argv = out;
    return 0;
}

void config_argv_free(int argc, char **argv)
{
    for (int i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}
