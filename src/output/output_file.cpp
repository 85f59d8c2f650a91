#include "clvkit/output/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

}  // namespace

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
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr) {
    throw IoError("cannot write '" + path_ + "': " + errno_text());
  }
}

OutputFile::~OutputFile() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  if (!committed_ && !temp_path_.empty()) std::remove(temp_path_.c_str());
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
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view text) {
  OutputFile out(path);
  out.write(text);
  out.commit();
}

}  // namespace clvkit
