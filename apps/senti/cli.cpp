#include "cli.h"

#include "util/log.h"
#include "util/thread_pool.h"

namespace senti::cli {

void add_common_options(CLI::App& cmd, CommonOptions& common) {
  cmd.add_option("-t,--threads", common.threads,
                 "Worker threads (default: $SENTI_THREADS, else all hardware threads)")
      ->check(CLI::Range(1, 1024));
  cmd.add_flag("-q,--quiet", common.quiet, "Only print errors on stderr");
  cmd.add_flag("-v,--verbose", common.verbose, "Print debug logs on stderr");
}

int apply_common_options(const CommonOptions& common) {
  if (common.quiet) log::set_level(log::Level::kError);
  if (common.verbose) log::set_level(log::Level::kDebug);
  return resolve_threads(common.threads);
}

}  // namespace senti::cli
