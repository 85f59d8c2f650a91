#include "clvkit/io/digest.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "clvkit/io/mapped_file.hpp"

namespace clvkit {

std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

struct StreamingDigest::State {
  XXH3_state_t xxh;
};

StreamingDigest::StreamingDigest() : state_(std::make_unique<State>()) {
  XXH3_64bits_reset(&state_->xxh);
}
StreamingDigest::~StreamingDigest() = default;

void StreamingDigest::update(std::span<const std::uint8_t> bytes) noexcept {
  XXH3_64bits_update(&state_->xxh, bytes.data(), bytes.size());
}

std::uint64_t StreamingDigest::value() const noexcept { return XXH3_64bits_digest(&state_->xxh); }

std::optional<FileDigest> digest_file(const std::string& path) {
  if (path == "-") return std::nullopt;
  const std::optional<detail::MappedFile> mapped = detail::MappedFile::open(path);
  if (!mapped) return std::nullopt;
  const std::span<const char> bytes = mapped->bytes();
  return FileDigest{XXH3_64bits(bytes.data(), bytes.size()), bytes.size()};
}

}  // namespace clvkit
