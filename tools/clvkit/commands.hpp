#pragma once
// Each subcommand lives in tools/clvkit/<cmd>_command.cpp with an options struct, a
// setup_<cmd>(CLI::App&) that registers it, and a run_<cmd>(const Options&) that does the work.
// Library errors (clvkit::Error) propagate to main(), which maps them to exit codes.

#include <CLI/CLI.hpp>

namespace clvkit::cli {

/// The whole command line on `app`, as the binary has it: --version, exactly one subcommand, and
/// every subcommand below registered. main() calls it and then parses; the option-parser fuzzer
/// (tests/fuzz/fuzz_options.cpp) builds the same App without running a command.
void setup_commands(CLI::App& app);

void setup_run(CLI::App& app);
void setup_segments(CLI::App& app);
void setup_fit(CLI::App& app);
void setup_predict(CLI::App& app);
void setup_simulate(CLI::App& app);
void setup_validate(CLI::App& app);
void setup_report(CLI::App& app);
void setup_compare(CLI::App& app);
void setup_migrate(CLI::App& app);
void setup_update(CLI::App& app);
void setup_sql(CLI::App& app);

}  // namespace clvkit::cli
