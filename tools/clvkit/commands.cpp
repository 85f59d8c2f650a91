// The command line of the binary, registered in one place so that main() and the option-parser
// fuzzer parse with the same App.

#include "commands.hpp"

#include <string>

namespace clvkit::cli {

void setup_commands(CLI::App& app) {
  app.set_version_flag("--version", std::string("clvkit ") + CLVKIT_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  setup_run(app);
  setup_segments(app);
  setup_fit(app);
  setup_predict(app);
  setup_simulate(app);
  setup_validate(app);
  setup_report(app);
  setup_compare(app);
  setup_migrate(app);
  setup_update(app);
  setup_sql(app);
}

}  // namespace clvkit::cli
