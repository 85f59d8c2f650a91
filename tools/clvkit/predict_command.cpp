// Placeholder until the subcommand lands; registers nothing so the CLI links.
#include "commands.hpp"

namespace clvkit::cli {
void setup_predict(CLI::App&) {}
}  // namespace clvkit::cli
