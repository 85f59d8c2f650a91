#pragma once
// Buffered output that lands atomically: data goes to a temporary file next to the target and is
// renamed over it only on commit(), so a pipeline never sees a half-written file.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace clvkit {

class OutputFile {
 public:
  /// Opens "<dir>/.<name>.tmp-<pid>" for `path`, or standard output when `path` is "-".
  /// An existing non-regular file (a device such as /dev/null, a pipe) is written in place.
  /// Throws IoError when the file cannot be created or `path` is a directory.
  explicit OutputFile(std::string path);
  /// Removes the temporary file unless commit() succeeded.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view text) {
    buffer_.append(text);
    if (buffer_.size() >= kFlushBytes) flush_buffer();
  }
  void put(char c) {
    buffer_.push_back(c);
    if (buffer_.size() >= kFlushBytes) flush_buffer();
  }
  /// Flushes, syncs and renames the temporary file onto the target. Throws IoError.
  void commit();
  const std::string& path() const noexcept { return path_; }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;
  // Written bytes are handed to the disk in pieces of this size while more are formatted, so
  // that the fsync of commit() waits for the last piece rather than for the whole file.
  static constexpr std::int64_t kWritebackBytes = std::int64_t{64} << 20;
  void flush_buffer();
  void start_writeback();

  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::int64_t written_ = 0;       ///< bytes handed to the file
  std::int64_t written_back_ = 0;  ///< bytes whose writeback has been started
  bool committed_ = false;
  int pending_slot_ = -1;  ///< its entry for remove_pending_temporary_files, or -1
};

/// Removes the temporary file of every OutputFile not yet committed or destroyed: for a handler
/// of SIGINT, SIGTERM or SIGHUP (the CLI installs one), which must not leave hidden
/// ".NAME.tmp-PID" files of hundreds of MB behind. Async-signal-safe: reads fixed slots and
/// calls unlink only.
void remove_pending_temporary_files() noexcept;

/// Writes `text` to `path` atomically ("-" = standard output).
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace clvkit
