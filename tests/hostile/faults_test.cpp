// Fault injection through the CLI (ctest label `faults`): a full disk (/dev/full, a tiny tmpfs
// when the tests run as root, a file-size limit), SIGINT, SIGTERM and SIGHUP while a command
// works, and a log truncated while it is read, for run, segments, fit, validate and report.
// Each time: the README's exit code (4 for a file that cannot be written or read) or death by
// the signal, and nothing partial left: no output, no side file, no hidden temporary file.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "output_checks.hpp"

namespace {

using clvkit::test::Format;
using clvkit::test::TempDir;

struct Command {
  const char* name;
  std::vector<std::string> arguments;  ///< "LOG" and "OUT" stand for the log and the output dir
  std::string output;                  ///< the file it writes in OUT
  Format format;
};

// The five commands that read a log and write a file. `calibration_end` suits the log.
std::vector<Command> commands(const std::string& calibration_end) {
  return {
      {"run",
       {"run", "LOG", "-q", "--threads", "1", "--format", "ndjson", "-o", "OUT/o.ndjson"},
       "o.ndjson",
       Format::ndjson},
      {"segments",
       {"segments", "LOG", "-q", "--format", "json", "-o", "OUT/s.json"},
       "s.json",
       Format::json},
      {"fit", {"fit", "LOG", "-q", "-o", "OUT/m.json"}, "m.json", Format::json},
      {"validate",
       {"validate", "LOG", "-q", "--calibration-end", calibration_end, "--format", "json", "-o",
        "OUT/v.json"},
       "v.json",
       Format::json},
      {"report", {"report", "LOG", "-q", "-o", "OUT/r.html"}, "r.html", Format::html},
  };
}

std::vector<Command> cdnow_commands() { return commands("1997-09-30"); }
std::vector<Command> large_log_commands() { return commands("2025-06-30"); }

std::vector<std::string> resolve(const Command& command, const std::string& log,
                                 const std::string& out_dir, const std::string& output = "") {
  std::vector<std::string> arguments;
  for (const std::string& argument : command.arguments) {
    if (argument == "LOG") {
      arguments.push_back(log);
    } else if (argument.rfind("OUT/", 0) == 0) {
      arguments.push_back(output.empty() ? out_dir + "/" + argument.substr(4) : output);
    } else {
      arguments.push_back(argument);
    }
  }
  return arguments;
}

const std::string kCdnow = CLVKIT_TEST_SOURCE_DIR "/data/cdnow.csv";

// The large simulated log (400,000 customers), made by the ctest fixture; made here when the
// executable runs on its own.
const std::string& large_log() {
  static const std::string path = [] {
    const std::string log = CLVKIT_FAULTS_LOG;
    if (!std::filesystem::exists(log)) {
      TempDir dir;
      const std::string temporary = log + ".partial";
      const auto made = clvkit::test::run_cli(
          "simulate --customers 400000 --seed 3 --quiet -o " + temporary, dir);
      REQUIRE(made.exit_code == 0);
      std::filesystem::rename(temporary, log);
    }
    return log;
  }();
  return path;
}

/// A child running the CLI without a shell, standard output and error into files of `dir`,
/// optionally under a file-size limit (RLIMIT_FSIZE) with SIGXFSZ ignored, so that a write past
/// the limit fails with EFBIG as on a full disk instead of killing the process.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& arguments, const TempDir& dir,
             rlim_t file_size_limit = RLIM_INFINITY)
      : out_(dir.file("cli.stdout")), err_(dir.file("cli.stderr")) {
    std::vector<std::string> argv_text = {CLVKIT_CLI_PATH};
    argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& text : argv_text) argv.push_back(text.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {  // the child: no Catch2 macro here
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) {
        ::_exit(120);
      }
      if (file_size_limit != RLIM_INFINITY) {
        ::signal(SIGXFSZ, SIG_IGN);  // inherited through exec: ignored stays ignored
        const rlimit limit{file_size_limit, file_size_limit};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(121);
      }
      ::execv(argv[0], argv.data());
      ::_exit(122);
    }
    REQUIRE(pid_ > 0);
  }
  ~CliProcess() {
    if (!waited_) {
      ::kill(pid_, SIGKILL);  // only our own child, if a check failed before it ended
      ::waitpid(pid_, &status_, 0);
    }
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// True once the child has ended (its status is then kept).
  bool ended() {
    if (!waited_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) waited_ = true;
    return waited_;
  }
  int wait() {
    if (!waited_ && ::waitpid(pid_, &status_, 0) == pid_) waited_ = true;
    return status_;
  }
  std::string err() const { return clvkit::test::read_text(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool waited_ = false;
};

// Waits (up to 60 s) until `ready` holds or the process ended; true when `ready` held.
template <class Ready>
bool wait_until(CliProcess& process, Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    if (process.ended()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Whether the process has `path` mapped: it is reading the log.
bool maps_file(pid_t pid, const std::string& path) {
  const std::string maps = clvkit::test::read_text("/proc/" + std::to_string(pid) + "/maps");
  return maps.find(std::filesystem::canonical(path).string()) != std::string::npos;
}

// Whether a hidden temporary output in `dir` has bytes in it: the output is being written.
bool writing_temporary_file(const std::filesystem::path& dir) {
  for (const std::string& name : clvkit::test::entries_of(dir)) {
    std::error_code ignored;
    if (name.find(".tmp-") != std::string::npos &&
        std::filesystem::file_size(dir / name, ignored) > 0 && !ignored) {
      return true;
    }
  }
  return false;
}

void check_exit(CliProcess& process, int code, const std::string& fragment) {
  const int status = process.wait();
  const std::string err = process.err();
  CAPTURE(err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == code);
  CHECK(err.rfind("clvkit: error: ", 0) == 0);
  CHECK(err.find(fragment) != std::string::npos);
}

// --- the faults, one per command ----------------------------------------------------------

void full_device(const Command& command) {
  TempDir dir;
  CliProcess process(resolve(command, kCdnow, dir.path().string(), "/dev/full"), dir);
  check_exit(process, 4, "cannot write '/dev/full'");
}

// A 64 KiB tmpfs filled to the last byte (root only; elsewhere the file-size limit stands for it).
void full_filesystem(const Command& command) {
  if (::geteuid() != 0) {
    WARN("not root: no tmpfs can be mounted; the file-size limit cases cover full disks");
    return;
  }
  TempDir dir;
  const std::filesystem::path out = dir.path() / "full";
  clvkit::test::TinyFilesystem tiny(out, 64 * 1024);
  if (!tiny.mounted()) {
    WARN("mount of a tmpfs refused: case skipped");
    return;
  }
  {
    std::FILE* filler = std::fopen((out / "filler").c_str(), "wb");
    REQUIRE(filler != nullptr);
    const std::string block(4096, 'f');
    while (std::fwrite(block.data(), 1, block.size(), filler) == block.size() &&
           std::fflush(filler) == 0) {
    }
    std::fclose(filler);
  }
  CliProcess process(resolve(command, kCdnow, out.string()), dir);
  check_exit(process, 4, "cannot write");
  CHECK(clvkit::test::entries_of(out) == std::vector<std::string>{"filler"});
}

void file_size_limit(const Command& command) {
  TempDir dir;
  const std::filesystem::path out = dir.path() / "out";
  std::filesystem::create_directory(out);
  CliProcess process(resolve(command, kCdnow, out.string()), dir, 1024);
  check_exit(process, 4, "cannot write");
  clvkit::test::check_nothing_left(out);
}

// run's output is large: the signal goes while it is written. The others write a small file at
// the end: the signal goes while they read the log. A command that ends before the signal could
// go is tried again, three times at most.
void signal_while_working(const Command& command, int signal) {
  const std::string& log = large_log();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    TempDir dir;
    const std::filesystem::path out = dir.path() / "out";
    std::filesystem::create_directory(out);
    CliProcess process(resolve(command, log, out.string()), dir);
    const bool working = wait_until(process, [&] {
      return command.name == std::string("run") ? writing_temporary_file(out)
                                                : maps_file(process.pid(), log);
    });
    if (working) ::kill(process.pid(), signal);
    const int status = process.wait();
    CAPTURE(attempt, process.err());
    if (WIFEXITED(status)) {
      CHECK(WEXITSTATUS(status) == 0);  // done before the signal: then whole
      continue;
    }
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == signal);  // the README: the process dies of the signal
    clvkit::test::check_nothing_left(out);
    return;
  }
  FAIL("the command ended before the signal three times");
}

// The log is cut to half its size once the command has it mapped (it is reading it). A command
// that had read it all already is tried again, three times at most.
void truncated_while_read(const Command& command) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    TempDir dir;
    const std::string log = dir.file("log.csv");
    std::filesystem::copy_file(large_log(), log);
    const std::filesystem::path out = dir.path() / "out";
    std::filesystem::create_directory(out);
    CliProcess process(resolve(command, log, out.string()), dir);
    const bool reading = wait_until(process, [&] { return maps_file(process.pid(), log); });
    if (reading) std::filesystem::resize_file(log, std::filesystem::file_size(log) / 2);
    const int status = process.wait();
    const std::string err = process.err();
    CAPTURE(attempt, err);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) continue;
    CHECK(WEXITSTATUS(status) == 4);
    CHECK(err.rfind("clvkit: error: ", 0) == 0);
    CHECK((err.find("shrank while it was read") != std::string::npos ||
           err.find("changed while it was read") != std::string::npos));
    clvkit::test::check_nothing_left(out);
    return;
  }
  FAIL("the command had read the log before it was truncated, three times");
}

enum class Fault {
  full_device,
  full_filesystem,
  file_size_limit,
  sigint,
  sigterm,
  sighup,
  truncated
};

struct FaultCase {
  std::string name;
  std::size_t command;  ///< index in commands()
  Fault fault;
};

std::vector<FaultCase> make_fault_cases() {
  const std::pair<Fault, const char*> faults[] = {
      {Fault::full_device, "an output on /dev/full is exit 4"},
      {Fault::full_filesystem, "an output on a full tmpfs is exit 4 and leaves nothing"},
      {Fault::file_size_limit, "a file-size limit hit while writing is exit 4 and leaves nothing"},
      {Fault::sigint, "SIGINT while it works kills it and leaves nothing"},
      {Fault::sigterm, "SIGTERM while it works kills it and leaves nothing"},
      {Fault::sighup, "SIGHUP while it works kills it and leaves nothing"},
      {Fault::truncated, "a log truncated while it is read is exit 4 and leaves nothing"},
  };
  std::vector<FaultCase> cases;
  const std::vector<Command> all = cdnow_commands();
  for (std::size_t c = 0; c < all.size(); ++c) {
    for (const auto& [fault, what] : faults) {
      cases.push_back({std::string(all[c].name) + ": " + what, c, fault});
    }
  }
  return cases;
}

const std::vector<FaultCase>& fault_cases() {
  static const std::vector<FaultCase> cases = make_fault_cases();
  return cases;
}

void run_fault_case(const FaultCase& c) {
  const Command small = cdnow_commands()[c.command];
  const Command large = large_log_commands()[c.command];
  switch (c.fault) {
    case Fault::full_device:
      return full_device(small);
    case Fault::full_filesystem:
      return full_filesystem(small);
    case Fault::file_size_limit:
      return file_size_limit(small);
    case Fault::sigint:
      return signal_while_working(large, SIGINT);
    case Fault::sigterm:
      return signal_while_working(large, SIGTERM);
    case Fault::sighup:
      return signal_while_working(large, SIGHUP);
    case Fault::truncated:
      return truncated_while_read(large);
  }
}

/// Registers every fault case as its own test case, tagged [faults].
const bool registered = clvkit::test::register_case_table(&fault_cases, &run_fault_case, "[faults]");

}  // namespace
