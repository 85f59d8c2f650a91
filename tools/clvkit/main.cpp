// clvkit: customer-base analysis from a transaction log. main() only registers subcommands and
// maps errors to exit codes (see README, "Exit codes").

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "clvkit/error.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "clvkit: RFM segments and customer lifetime value (BG/NBD, MBG/NBD or Pareto/NBD "
      "purchases, Gamma-Gamma spend) from a transaction log",
      "clvkit"};
  app.set_version_flag("--version", std::string("clvkit ") + CLVKIT_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  clvkit::cli::setup_run(app);
  clvkit::cli::setup_segments(app);
  clvkit::cli::setup_fit(app);
  clvkit::cli::setup_predict(app);
  clvkit::cli::setup_simulate(app);
  clvkit::cli::setup_validate(app);
  clvkit::cli::setup_report(app);
  clvkit::cli::setup_compare(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const clvkit::Error& e) {
    std::fprintf(stderr, "clvkit: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clvkit: internal error: %s\n", e.what());
    return 70;
  }
  return 0;
}
