#include "clvkit/util/utf8.hpp"

namespace clvkit {

Utf8Sequence decode_utf8(std::string_view text, std::size_t at) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return {b0, 1};
  std::size_t length = 0;
  std::int32_t code_point = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    code_point = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    code_point = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;   // no overlong forms
    if (b0 == 0xED) high = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    code_point = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;   // no overlong forms
    if (b0 == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return {-1, 1};  // a continuation byte, C0, C1 or F5..FF
  }
  if (at + length > text.size()) return {-1, 1};
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char b = byte(at + k);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return {-1, 1};
    code_point = (code_point << 6) | (b & 0x3F);
  }
  return {code_point, length};
}

std::size_t valid_utf8_prefix(std::string_view text) noexcept {
  std::size_t at = 0;
  while (at < text.size()) {
    const Utf8Sequence sequence = decode_utf8(text, at);
    if (sequence.code_point < 0) return at;
    at += sequence.length;
  }
  return at;
}

std::string replace_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t at = 0; at < text.size();) {
    const Utf8Sequence sequence = decode_utf8(text, at);
    if (sequence.code_point < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else {
      out.append(text.substr(at, sequence.length));
    }
    at += sequence.length;
  }
  return out;
}

}  // namespace clvkit
