// Fuzzes the command-line parser: the same CLI11 App the binary builds (setup_commands), fed an
// argv split from the input at '\0' or '\n' bytes, without running a command. Properties: parsing
// either succeeds or throws CLI11's ParseError or clvkit's UsageError, which main() maps to exit
// 1 (exit 0 for --help and --version), and never anything else; no crash or UB.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/error.hpp"
#include "commands.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr std::size_t kMaxArguments = 64;

// Thrown when parsing is complete, before any command runs.
struct Parsed {};

// The binary's App that stops where the commands would start. CLI11's parse() runs the callbacks
// after parsing, top-level pre_callback() first; removing the commands' callbacks instead would
// free their options, which the callbacks own and the options' bindings point into (the first
// version of this target did that, and ASan reported the use after free).
class ParseOnlyApp : public CLI::App {
 public:
  using CLI::App::App;
  void pre_callback() override { throw Parsed{}; }
};

std::vector<std::string> split_arguments(std::string_view input) {
  std::vector<std::string> arguments{"clvkit"};
  std::size_t start = 0;
  while (start <= input.size() && arguments.size() < kMaxArguments) {
    std::size_t end = input.find_first_of(std::string_view("\0\n", 2), start);
    if (end == std::string_view::npos) end = input.size();
    arguments.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  return arguments;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> arguments =
      split_arguments(std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  ParseOnlyApp app{"clvkit", "clvkit"};
  clvkit::cli::setup_commands(app);
  try {
    app.parse(static_cast<int>(arguments.size()), argv.data());
  } catch (const Parsed&) {
    // A valid command line; the command is not run.
  } catch (const CLI::ParseError& e) {
    // main(): exit code 0 (--help, --version) is printed by CLI11, every other one is exit 1.
    clvkit::fuzz::require(e.get_exit_code() >= 0, "a parse error has an exit code", e.what());
  } catch (const clvkit::UsageError&) {
    // main() returns its code(), ExitCode::usage.
  }
  return 0;
}
