/*
 * config.h - the configuration file of `fundgate serve --config FILE`.
 *
 * The file is one JSON object whose keys are the long options of `serve`
 * with '_' for '-' ("listen", "data", "admin_rate_limit", "tls_cert", ...),
 * each holding what the option takes: a string or an integer for an option
 * with a value, true or false for a switch ("test_clock": true). Keys
 * starting with '_' are comments. An unknown key, a value of the wrong type,
 * a duplicate key or a file over FG_CONFIG_BYTES_MAX is refused, naming it.
 *
 * config_file_argv turns the file into the argument list the options would
 * have been ("--listen", "127.0.0.1:8080", "--test-clock"), so a setting in
 * the file is checked by exactly the code that checks the flag, and a flag on
 * the command line, parsed after the file, wins over it. Not thread-safe:
 * start-up only.
 */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <getopt.h>
#include <stddef.h>

/* Read path into *argv (malloc'd, argv[0] = "fundgate", NULL-terminated, free
 * with config_argv_free) and *argc. opts is the option table of the command
 * (getopt_long's), which decides the keys allowed and whether each takes a
 * value. 0, or -1 with the reason in err. */
int config_file_argv(const char *path, const struct option *opts, int *argc, char ***argv,
                     char *err, size_t err_cap);
void config_argv_free(int argc, char **argv);

#endif
