#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

// The length of the well-formed sequence at the start of `text` (1 to 4), or 0 when its first
// bytes are ill-formed; `maximal_part` is then the length of the maximal subpart to replace
// (at least 1). The second byte's range depends on the lead byte (Unicode Table 3-7): that is
// where overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above
// U+10FFFF (F4 90..BF) are refused.
std::size_t sequence_length(std::string_view text, std::size_t& maximal_part) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  maximal_part = 1;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return 0;  // truncated
    const unsigned char b = byte(i);
    const bool in_range = i == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!in_range) return 0;
    maximal_part = i + 1;
  }
  return length;
}

}  // namespace

std::size_t valid_utf8_prefix(std::string_view text) noexcept {
  std::size_t at = 0;
  while (at < text.size()) {
    if (static_cast<unsigned char>(text[at]) < 0x80) {
      ++at;
      continue;
    }
    std::size_t maximal_part;
    const std::size_t length = sequence_length(text.substr(at), maximal_part);
    if (length == 0) return at;
    at += length;
  }
  return at;
}

std::string replace_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t maximal_part;
    const std::size_t length = sequence_length(text.substr(at), maximal_part);
    if (length == 0) {
      out.append(kReplacement);
      // A maximal part of a valid prefix; a lone bad byte when even the second byte is wrong.
      at += maximal_part;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

}  // namespace clvkit
