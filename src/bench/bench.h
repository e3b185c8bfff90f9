/*
 * bench.h - `fundgate bench`: push transfers straight into the engine and the
 * store (no HTTP) and, beside it, run a plain C loop of the same SQL on the
 * same kind of store, so the engine's overhead is a ratio measured in one run.
 */
#ifndef FG_BENCH_H
#define FG_BENCH_H

int bench_main(int argc, char **argv);

#endif
