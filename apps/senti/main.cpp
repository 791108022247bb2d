// The senti command line: one binary, one subcommand per job. Data goes to stdout, logs to
// stderr. Exit codes: 0 success, 1 runtime error, 2 usage error.
#include <cstdio>
#include <map>

#include "cli.h"
#include "train/ranks.h"
#include "senti/version.h"
#include "util/error.h"
#include "util/log.h"

int main(int argc, char** argv) {
  using namespace senti::cli;
  CLI::App app{"senti " SENTI_VERSION ": sentiment analysis with DistilBERT, in C++", "senti"};
  app.set_version_flag("--version", "senti " SENTI_VERSION);
  app.require_subcommand(1);
  std::map<std::string, Action> actions;
  actions["tokenize"] = register_tokenize(app);
  actions["vocab"] = register_vocab(app);
  actions["predict"] = register_predict(app);
  actions["train"] = register_train(app);
  actions["eval"] = register_eval(app);
  actions["pretrain"] = register_pretrain(app);
  actions["distill-data"] = register_distill_data(app);
  actions["serve"] = register_serve(app);
  actions["convert"] = register_convert(app);
  actions["explain"] = register_explain(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) return actions.at(sub->get_name())();
  } catch (const senti::Error& e) {
    senti::log::error(e.what());
    const int code = e.code() == senti::ErrorCode::kInvalidArgument ? kExitUsage : kExitRuntimeError;
    senti::train::abort_all_ranks(code);  // the other ranks of an mpirun would wait forever
    return code;
  } catch (const std::exception& e) {
    senti::log::error(std::string("unexpected failure: ") + e.what());
    senti::train::abort_all_ranks(kExitRuntimeError);
    return kExitRuntimeError;
  }
  return kExitUsage;
}
