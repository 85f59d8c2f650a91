#pragma once
// UTF-8 checks for text that reaches JSON outputs: customer ids (a bad row when invalid) and
// paths or option values echoed in the metadata (repaired, since they are not data).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace clvkit {

/// True when every byte of `text` is below 0x80. For the hot path of ingest, where nearly every
/// id is ASCII and the full check (is_valid_utf8) is then skipped: eight bytes at a time, the
/// last word overlapping the one before, and a short text in two overlapping 4-byte loads or
/// three single bytes, so that an id of a few characters costs a handful of instructions (a
/// byte loop cost ~30 a row at 300k rows under callgrind, 1.4% of a run).
inline bool is_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  if (n >= 8) {
    std::uint64_t any = 0, word;
    std::size_t at = 0;
    for (; at + 8 < n; at += 8) {
      std::memcpy(&word, p + at, 8);
      any |= word;
    }
    std::memcpy(&word, p + n - 8, 8);
    return ((any | word) & 0x8080808080808080ull) == 0;
  }
  if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return ((head | tail) & 0x80808080u) == 0;
  }
  if (n == 0) return true;
  return ((static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
           static_cast<unsigned char>(p[n - 1])) &
          0x80u) == 0;
}

/// One UTF-8 sequence decoded at text[at] (at < text.size()): its code point and its length in
/// bytes (1 to 4). A byte that starts no well-formed sequence (RFC 3629 / Unicode Table 3-7: an
/// overlong form, a surrogate U+D800..U+DFFF, a value above U+10FFFF, a sequence cut short, a
/// stray continuation byte, 0xC0, 0xC1, 0xF5..0xFF) gives code_point -1 and length 1, so that
/// decoding resumes at the next byte.
struct Utf8Sequence {
  std::int32_t code_point;
  std::size_t length;
};
Utf8Sequence decode_utf8(std::string_view text, std::size_t at) noexcept;

/// The length of the longest prefix of `text` that is well-formed UTF-8 (see decode_utf8);
/// text.size() when the whole text is valid.
std::size_t valid_utf8_prefix(std::string_view text) noexcept;

/// True when `text` is well-formed UTF-8 (see decode_utf8). NUL bytes are valid.
inline bool is_valid_utf8(std::string_view text) noexcept {
  return is_ascii(text) || valid_utf8_prefix(text) == text.size();
}

/// `text` with U+FFFD for every byte that starts no well-formed sequence (decode_utf8), as the
/// HTML report writes such text: a path or option value that is not UTF-8 still gives valid
/// JSON where it is echoed. Valid text is returned unchanged.
std::string replace_invalid_utf8(std::string_view text);

}  // namespace clvkit
