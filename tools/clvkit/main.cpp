// clvkit: customer-base analysis from a transaction log. main() only registers the subcommands
// (setup_commands) and maps errors to exit codes (see README, "Exit codes").

#include <signal.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <new>

#include "clvkit/error.hpp"
#include "clvkit/output/output_file.hpp"
#include "commands.hpp"

namespace {

// SIGINT, SIGTERM, SIGHUP: remove the temporary files of outputs in flight, then die of the
// signal as if there were no handler (the exit status says which).
extern "C" void on_termination_signal(int signal) {
  clvkit::remove_pending_temporary_files();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void install_signal_handlers() {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = on_termination_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(signal, &action, nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  install_signal_handlers();
  CLI::App app{
      "clvkit: RFM segments and customer lifetime value (BG/NBD, MBG/NBD or Pareto/NBD "
      "purchases, Gamma-Gamma spend) from a transaction log",
      "clvkit"};
  clvkit::cli::setup_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0: CLI11 prints them.
    if (e.get_exit_code() == 0) return app.exit(e);
    // Every other command-line error is a usage error, exit 1 (CLI11's own codes, 100 and up,
    // are outside the documented table).
    std::fprintf(stderr, "clvkit: error: %s\nRun with --help for more information.\n", e.what());
    return static_cast<int>(clvkit::ExitCode::usage);
  } catch (const clvkit::Error& e) {
    std::fprintf(stderr, "clvkit: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "clvkit: error: out of memory\n");
    return static_cast<int>(clvkit::ExitCode::io);
  } catch (const std::exception& e) {
    // A defect of clvkit (every expected failure is a clvkit::Error): reported as a model
    // failure, the documented code of "cannot be computed", with what was thrown.
    std::fprintf(stderr, "clvkit: internal error: %s\n", e.what());
    return static_cast<int>(clvkit::ExitCode::model);
  }
  return 0;
}
