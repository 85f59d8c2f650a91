// Placeholder until the subcommand lands; registers nothing so the CLI links.
#include "commands.hpp"

namespace clvkit::cli {
void setup_run(CLI::App&) {}
}  // namespace clvkit::cli
