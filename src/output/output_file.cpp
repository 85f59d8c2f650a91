#include "clvkit/output/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "clvkit/error.hpp"

namespace clvkit {
namespace {

std::string temp_path_for(const std::string& path) {
  const std::filesystem::path target(path);
  // Built by appends: GCC 12 reports a false -Wrestrict on `"." + std::string`.
  std::string name(1, '.');
  name += target.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  return (target.parent_path() / name).string();
}

std::string errno_text() { return std::strerror(errno); }

// The temporary files in flight, for remove_pending_temporary_files (a signal handler): fixed
// slots, so the handler reads no heap, and an atomic flag published after the path is written.
constexpr std::size_t kPendingSlots = 16;
constexpr std::size_t kPendingPathBytes = 4096;
struct PendingSlot {
  std::atomic<bool> used{false};
  char path[kPendingPathBytes] = {};
};
PendingSlot g_pending[kPendingSlots];
std::mutex g_pending_mutex;  // between threads that open outputs; the handler takes no lock

// The slot now holding `path`, or -1 when there is none free or the path is too long (the file
// is then only removed by the destructor, as before).
int register_pending(const std::string& path) {
  if (path.size() + 1 > kPendingPathBytes) return -1;
  const std::lock_guard<std::mutex> lock(g_pending_mutex);
  for (std::size_t i = 0; i < kPendingSlots; ++i) {
    if (g_pending[i].used.load(std::memory_order_acquire)) continue;
    std::memcpy(g_pending[i].path, path.c_str(), path.size() + 1);
    g_pending[i].used.store(true, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void unregister_pending(int slot) {
  if (slot < 0) return;
  g_pending[slot].used.store(false, std::memory_order_release);
}

}  // namespace

void remove_pending_temporary_files() noexcept {
  for (PendingSlot& slot : g_pending) {
    if (slot.used.load(std::memory_order_acquire)) ::unlink(slot.path);
  }
}

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  buffer_.reserve(kFlushBytes + 4096);
  if (path_ == "-") {
    file_ = stdout;
    return;
  }
  // Devices and pipes (/dev/null, /dev/stdout, a named pipe) are written in place: renaming a
  // temporary file over them would replace the device with a regular file.
  std::error_code error;
  const auto status = std::filesystem::status(path_, error);
  if (!error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    if (std::filesystem::is_directory(status)) {
      throw IoError("cannot write '" + path_ + "': it is a directory");
    }
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) throw IoError("cannot write '" + path_ + "': " + errno_text());
    return;
  }
  temp_path_ = temp_path_for(path_);
  pending_slot_ = register_pending(temp_path_);
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr) {
    unregister_pending(pending_slot_);
    throw IoError("cannot write '" + path_ + "': " + errno_text());
  }
}

OutputFile::~OutputFile() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  if (!committed_ && !temp_path_.empty()) std::remove(temp_path_.c_str());
  unregister_pending(pending_slot_);
}

void OutputFile::flush_buffer() {
  if (buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    throw IoError("cannot write '" + path_ + "': " + errno_text());
  }
  written_ += static_cast<std::int64_t>(buffer_.size());
  buffer_.clear();
  if (!temp_path_.empty() && written_ - written_back_ >= kWritebackBytes) start_writeback();
}

void OutputFile::start_writeback() {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  // Starts writing the range to disk without waiting for it (a hint: errors surface in fsync).
  if (std::fflush(file_) != 0) throw IoError("cannot write '" + path_ + "': " + errno_text());
  ::sync_file_range(::fileno(file_), written_back_, written_ - written_back_,
                    SYNC_FILE_RANGE_WRITE);
#endif
  written_back_ = written_;
}

void OutputFile::commit() {
  flush_buffer();
  if (std::fflush(file_) != 0) throw IoError("cannot write '" + path_ + "': " + errno_text());
  if (temp_path_.empty()) {  // standard output or a device: nothing to rename
    if (file_ != stdout && std::fclose(file_) != 0) {
      file_ = nullptr;
      throw IoError("cannot write '" + path_ + "': " + errno_text());
    }
    file_ = nullptr;
    committed_ = true;
    return;
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at empty data.
  if (::fsync(::fileno(file_)) != 0 || std::fclose(file_) != 0) {
    file_ = nullptr;
    throw IoError("cannot write '" + path_ + "': " + errno_text());
  }
  file_ = nullptr;
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw IoError("cannot rename '" + temp_path_ + "' to '" + path_ + "': " + errno_text());
  }
  unregister_pending(pending_slot_);  // the name is the output's now, not a temporary's
  pending_slot_ = -1;
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view text) {
  OutputFile out(path);
  out.write(text);
  out.commit();
}

}  // namespace clvkit
