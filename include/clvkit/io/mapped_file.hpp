#pragma once
// Internal: a regular file's bytes mapped read-only into memory, so that a reader can parse them
// in place instead of copying them out of the page cache with read().

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace clvkit::detail {

class MappedFile {
 public:
  /// The whole of `path` mapped read-only, or nothing when it is not a non-empty regular file or
  /// cannot be mapped (a pipe, a terminal, /dev/stdin, an empty file): the caller then reads it
  /// as a stream. A file that another process truncates while it is mapped raises SIGBUS on the
  /// next read past its new end: for a fault inside the file mapped last, the process then
  /// writes "clvkit: error: 'PATH' shrank while it was read (...)" to stderr and exits with
  /// code 4; any other SIGBUS keeps its default action.
  static std::optional<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const char> bytes() const noexcept { return {data_, size_}; }

 private:
  MappedFile(const char* data, std::size_t size) noexcept : data_(data), size_(size) {}
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Asks the kernel to map the pages of `bytes` (a part of a MappedFile) now, reading them from
/// the disk if they are not cached: one call instead of a page fault per page. A hint only.
void populate_mapped(std::span<const char> bytes) noexcept;

/// Unmaps the pages of log[from, to) from the process, `log` being a MappedFile's bytes and
/// `from` 0 or a value this returned; returns `to` rounded down to a page, where the next release
/// starts (the page holding log[to] stays mapped). The kernel keeps the pages in its page cache
/// and reading them again maps them again: this keeps a reader's resident memory at the part of
/// the file it is working on. A hint only.
std::size_t release_mapped(std::span<const char> log, std::size_t from, std::size_t to) noexcept;

}  // namespace clvkit::detail
