/*
 * What Fluent Bit before 4.1 does on every call of its wasm filter
 * (src/wasm/flb_wasm.c and plugins/filter_wasm at v4.0.14): initialise the
 * runtime, read and load the module, instantiate it (which runs its start
 * function), then call the function once per record, then destroy it all.
 * This does the same with the WAMR the release bundles and prints the CPU
 * time of each phase, averaged over `calls` rounds:
 *
 *   fresh_instance MODULE FUNCTION RECORD.json CALLS [RECORDS_PER_CALL]
 *
 * MODULE is a .wasm or an .aot made by the wamrc of the same WAMR. Build it
 * against that WAMR's source (see README.md beside this file). Built with
 * -DPROFILE=ON, it prints WAMR's per-function profile after the start
 * function (DUMP_AFTER_START=1) or after the first round's calls
 * (DUMP_AFTER_CALLS=1); use a module built with `--debug` for the names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wasm_export.h"
#include "bh_read_file.h"

/* CPU time of this thread: other processes on the machine do not count. */
static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static char *read_record(const char *path, uint32_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  *len = (uint32_t)ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *record = malloc(*len + 1);
  if (fread(record, 1, *len, fp) != *len) { fclose(fp); free(record); return NULL; }
  fclose(fp);
  record[*len] = 0;
  return record;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODULE FUNCTION RECORD.json CALLS [RECORDS_PER_CALL]\n", argv[0]);
    return 2;
  }
  const char *path = argv[1], *fn = argv[2];
  int calls = atoi(argv[4]), per = argc > 5 ? atoi(argv[5]) : 10;
  uint32_t rec_len;
  char *record = read_record(argv[3], &rec_len);
  if (!record) { fprintf(stderr, "cannot read %s\n", argv[3]); return 2; }
  /* init, load, instantiate, first record, other records, destroy, total */
  double t[7] = {0};
  char err[128];
  size_t out_total = 0;
  for (int c = 0; c < calls; c++) {
    double a = now_us();
    RuntimeInitArgs args;
    memset(&args, 0, sizeof args);
    args.mem_alloc_type = Alloc_With_Allocator;
    args.mem_alloc_option.allocator.malloc_func = malloc;
    args.mem_alloc_option.allocator.realloc_func = realloc;
    args.mem_alloc_option.allocator.free_func = free;
    if (!wasm_runtime_full_init(&args)) { fprintf(stderr, "runtime init failed\n"); return 1; }
    double b = now_us();
    uint32_t size;
    char *buf = bh_read_file_to_buffer(path, &size);
    if (!buf) { fprintf(stderr, "cannot read %s\n", path); return 1; }
    wasm_module_t module = wasm_runtime_load((uint8_t *)buf, size, err, sizeof err);
    if (!module) { fprintf(stderr, "load: %s\n", err); return 1; }
    const char *dirs[] = {"."};
    wasm_runtime_set_wasi_args_ex(module, dirs, 1, NULL, 0, NULL, 0, NULL, 0, 0, 1, 2);
    double d = now_us();
    /* Fluent Bit's defaults: 8 KiB of stack and of WAMR heap. */
    wasm_module_inst_t inst = wasm_runtime_instantiate(module, 8192, 8192, err, sizeof err);
    if (!inst) { fprintf(stderr, "instantiate: %s\n", err); return 1; }
    wasm_exec_env_t env = wasm_runtime_create_exec_env(inst, 8192);
#if WASM_ENABLE_PERF_PROFILING != 0
    if (getenv("DUMP_AFTER_START")) { wasm_runtime_dump_perf_profiling(inst); return 0; }
#endif
    double e = now_us();
    wasm_function_inst_t f = wasm_runtime_lookup_function(inst, fn, NULL);
    if (!f) { fprintf(stderr, "no function %s\n", fn); return 1; }
    double first = 0;
    for (int r = 0; r < per; r++) {
      double r0 = now_us();
      uint32_t tag = wasm_runtime_module_dup_data(inst, "sysdig", 7);
      uint32_t rec = wasm_runtime_module_dup_data(inst, record, rec_len + 1);
      uint32_t fargs[6] = {tag, 6, 1700000000, 0, rec, rec_len};
      if (!wasm_runtime_call_wasm(env, f, 6, fargs)) {
        fprintf(stderr, "exception: %s\n", wasm_runtime_get_exception(inst));
        return 1;
      }
      out_total += strlen(wasm_runtime_addr_app_to_native(inst, fargs[0]));
      wasm_runtime_module_free(inst, tag);
      wasm_runtime_module_free(inst, rec);
      if (r == 0) first = now_us() - r0;
    }
    double g = now_us();
#if WASM_ENABLE_PERF_PROFILING != 0
    if (getenv("DUMP_AFTER_CALLS")) { wasm_runtime_dump_perf_profiling(inst); return 0; }
#endif
    wasm_runtime_destroy_exec_env(env);
    wasm_runtime_deinstantiate(inst);
    wasm_runtime_unload(module);
    BH_FREE(buf);
    wasm_runtime_destroy();
    double h = now_us();
    t[0] += b - a; t[1] += d - b; t[2] += e - d; t[3] += first;
    t[4] += (g - e) - first; t[5] += h - g; t[6] += h - a;
  }
  printf("CPU per call (%d calls, %d records each): init %.0f us, load %.0f us, instantiate %.0f us, "
         "first record %.0f us, other %d records %.0f us, destroy %.0f us, total %.0f us "
         "(%.0f us per record); output %zu bytes per record\n",
         calls, per, t[0] / calls, t[1] / calls, t[2] / calls, t[3] / calls, per - 1, t[4] / calls,
         t[5] / calls, t[6] / calls, t[6] / calls / per, out_total / (size_t)calls / (size_t)per);
  return 0;
}
