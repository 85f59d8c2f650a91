#pragma once
// 64-bit digests of bytes and files (XXH3, Debian's libxxhash, used header-only): the checksum
// of a state file, and the fingerprint by which `clvkit update` recognises a log it applied
// already. Not cryptographic: they catch accidents (a torn write, a flipped bit, the same file
// given twice), not an adversary.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace clvkit {

/// XXH3-64 of `bytes` (seed 0): the same value on every platform.
std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes) noexcept;

/// The digest of bytes given in pieces: equal to digest_bytes of the pieces joined.
class StreamingDigest {
 public:
  StreamingDigest();
  ~StreamingDigest();
  StreamingDigest(const StreamingDigest&) = delete;
  StreamingDigest& operator=(const StreamingDigest&) = delete;
  void update(std::span<const std::uint8_t> bytes) noexcept;
  std::uint64_t value() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A regular file's size and digest.
struct FileDigest {
  std::uint64_t digest = 0;
  std::uint64_t bytes = 0;
};

/// The digest of the regular file at `path` (mapped, not copied), or nothing when it is not a
/// regular non-empty file (standard input "-", a pipe). Throws IoError when it cannot be read.
std::optional<FileDigest> digest_file(const std::string& path);

}  // namespace clvkit
