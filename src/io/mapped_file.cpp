#include "clvkit/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

namespace clvkit::detail {
namespace {

std::uintptr_t page_size() noexcept {
  static const auto size = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// A file that shrinks while it is mapped (truncated or rewritten by another process) turns a
// read past its new end into SIGBUS. While a file is mapped, the signal is reported as the I/O
// error it is, with the CLI's message format and exit code 4 (ExitCode::io), instead of a crash:
// a message prepared beforehand, write(2) and _exit are all a signal handler may use. Ingest
// maps one file at a time; the handler claims a fault inside the last file mapped and leaves any
// other SIGBUS to the default action.
std::mutex bus_mutex;
int mapped_count = 0;
struct sigaction previous_bus_action {};
char bus_message[1024];
std::size_t bus_message_length = 0;
std::atomic<std::uintptr_t> mapped_begin{0};
std::atomic<std::uintptr_t> mapped_end{0};

extern "C" void on_bus_error(int signal, siginfo_t* info, void*) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (address < mapped_begin.load() || address >= mapped_end.load()) {
    ::signal(signal, SIG_DFL);  // not the mapped file's: the default action, as without us
    raise(signal);
    return;
  }
  [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, bus_message, bus_message_length);
  _exit(4);
}

void report_bus_errors_for(const std::string& path, const char* data, std::size_t size) {
  const std::lock_guard lock(bus_mutex);
  mapped_begin = reinterpret_cast<std::uintptr_t>(data);
  mapped_end = reinterpret_cast<std::uintptr_t>(data) + size;
  const std::string message = "clvkit: error: '" + path +
                              "' shrank while it was read (another process truncated or "
                              "rewrote it)\n";
  bus_message_length = std::min(message.size(), sizeof bus_message);
  std::memcpy(bus_message, message.data(), bus_message_length);
  if (mapped_count++ > 0) return;
  struct sigaction action {};
  action.sa_sigaction = on_bus_error;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_bus_action);
}

void stop_reporting_bus_errors() noexcept {
  const std::lock_guard lock(bus_mutex);
  if (--mapped_count == 0) sigaction(SIGBUS, &previous_bus_action, nullptr);
}

}  // namespace

std::optional<MappedFile> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat status {};
  void* memory = MAP_FAILED;
  std::size_t size = 0;
  if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0) {
    size = static_cast<std::size_t>(status.st_size);
    memory = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  ::close(fd);  // the mapping keeps the file
  if (memory == MAP_FAILED) return std::nullopt;
  report_bus_errors_for(path, static_cast<const char*>(memory), size);
  return MappedFile(static_cast<const char*>(memory), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    MappedFile old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ == nullptr) return;
  munmap(const_cast<char*>(data_), size_);
  stop_reporting_bus_errors();
}

void populate_mapped(std::span<const char> bytes) noexcept {
#if defined(MADV_POPULATE_READ)
  if (bytes.empty()) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data()) & ~(page_size() - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(bytes.data() + bytes.size());
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)bytes;
#endif
}

std::size_t release_mapped(std::span<const char> log, std::size_t from, std::size_t to) noexcept {
  const std::size_t end = to / page_size() * page_size();  // the mapping starts on a page
  if (end > from) madvise(const_cast<char*>(log.data() + from), end - from, MADV_DONTNEED);
  return std::max(end, from);
}

}  // namespace clvkit::detail
