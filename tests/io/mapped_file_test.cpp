#include "clvkit/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using clvkit::detail::MappedFile;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("clvkit-mapped-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a regular file is mapped with its bytes; other files are left to the stream reader",
          "[io][mapped]") {
  const std::string path = temp_path("bytes.csv");
  write_file(path, "customer_id,date,amount\n1,2024-01-02,3.50\n");
  {
    const std::optional<MappedFile> mapped = MappedFile::open(path);
    REQUIRE(mapped);
    CHECK(std::string(mapped->bytes().data(), mapped->bytes().size()) ==
          "customer_id,date,amount\n1,2024-01-02,3.50\n");
  }
  write_file(path, "");
  CHECK_FALSE(MappedFile::open(path));  // an empty file cannot be mapped
  std::filesystem::remove(path);
  CHECK_FALSE(MappedFile::open(path));                                             // missing
  CHECK_FALSE(MappedFile::open(temp_path("none")));                                // missing
  CHECK_FALSE(MappedFile::open(std::filesystem::temp_directory_path().string()));  // directory
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  CHECK_FALSE(MappedFile::open("/proc/self/fd/" + std::to_string(pipe_ends[0])));  // a pipe
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
}

TEST_CASE("a mapped file truncated while it is read ends the process with a message and code 4",
          "[io][mapped]") {
  // In a child process: map a file of several pages, truncate it, read its last byte. Without
  // the handler the child dies of SIGBUS; with it, it exits with ExitCode::io and says why.
  const std::string path = temp_path("shrinks.csv");
  write_file(path, std::string(3 * 65536, 'x'));
  const std::string messages = temp_path("stderr.txt");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int out = ::open(messages.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || ::dup2(out, STDERR_FILENO) < 0) ::_exit(89);
    std::optional<MappedFile> mapped = MappedFile::open(path);
    if (!mapped) ::_exit(90);
    std::filesystem::resize_file(path, 0);
    const volatile char last = mapped->bytes().back();
    ::_exit(last == 'x' ? 91 : 92);  // not reached: the read raises SIGBUS
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  std::ifstream in(messages);
  const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  std::filesystem::remove(messages);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 4);
  CHECK(message == "clvkit: error: '" + path +
                       "' shrank while it was read (another process truncated or rewrote it)\n");
}

TEST_CASE("released pages of a mapped file read the same bytes again", "[io][mapped]") {
  const std::string path = temp_path("release.csv");
  std::string text;
  for (int i = 0; text.size() < 5 * 4096; ++i) text += std::to_string(i) + ",2024-01-02,1.00\n";
  write_file(path, text);
  {
    const std::optional<MappedFile> mapped = MappedFile::open(path);
    REQUIRE(mapped);
    const std::span<const char> bytes = mapped->bytes();
    clvkit::detail::populate_mapped(bytes);
    // Released up to a page boundary at or below the end given, and from there on next time.
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t first = clvkit::detail::release_mapped(bytes, 0, page + 10);
    CHECK(first == page);
    CHECK(clvkit::detail::release_mapped(bytes, first, page + 20) == page);
    CHECK(clvkit::detail::release_mapped(bytes, first, bytes.size()) == bytes.size() / page * page);
    CHECK(std::string(bytes.data(), bytes.size()) == text);
  }
  std::filesystem::remove(path);
}

TEST_CASE("a SIGBUS outside the mapped log keeps its default action", "[io][mapped]") {
  // In a child: a log mapped by MappedFile, and another file mapped by hand, truncated and read.
  // The fault is not in the log, so the handler must not report it as the log shrinking.
  const std::string log = temp_path("log.csv");
  const std::string other = temp_path("other.bin");
  write_file(log, std::string(65536, 'x'));
  write_file(other, std::string(3 * 65536, 'y'));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::optional<MappedFile> mapped = MappedFile::open(log);
    const int fd = ::open(other.c_str(), O_RDONLY);
    if (!mapped || fd < 0) ::_exit(90);
    void* bytes = ::mmap(nullptr, 3 * 65536, PROT_READ, MAP_PRIVATE, fd, 0);
    if (bytes == MAP_FAILED) ::_exit(91);
    std::filesystem::resize_file(other, 0);
    const volatile char last = static_cast<const char*>(bytes)[3 * 65536 - 1];
    ::_exit(last == 'y' ? 92 : 93);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  std::filesystem::remove(log);
  std::filesystem::remove(other);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGBUS);
}
