#include "clvkit/util/utf8.hpp"

#include <catch2/catch.hpp>
#include <string>

using clvkit::is_ascii;
using clvkit::is_valid_utf8;
using clvkit::replace_invalid_utf8;
using clvkit::valid_utf8_prefix;

TEST_CASE("is_ascii finds a high byte at any position of any length", "[utf8]") {
  CHECK(is_ascii(""));
  CHECK(is_ascii("customer-0001"));
  CHECK(is_ascii(std::string("a\0b", 3)));
  for (std::size_t length = 1; length <= 24; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string text(length, 'x');
      text[at] = '\x80';
      CAPTURE(length, at);
      CHECK_FALSE(is_ascii(text));
    }
  }
}

TEST_CASE("is_valid_utf8 accepts well-formed multi-byte sequences", "[utf8]") {
  CHECK(is_valid_utf8("M\xC3\xBCller"));  // U+00FC, 2 bytes
  CHECK(
      is_valid_utf8("\xE2\x82\xAC"
                    "12"));                  // U+20AC, 3 bytes
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));  // U+1F600, 4 bytes
  CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
  CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  CHECK(is_valid_utf8("\xC2\x80"));          // U+0080, the first 2-byte one
  CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, the first 3-byte one
  CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, the first 4-byte one
}

TEST_CASE("is_valid_utf8 refuses overlongs, surrogates, truncations and bytes never used",
          "[utf8]") {
  const char* const invalid[] = {
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong U+007F
      "\xE0\x80\xAF",      // overlong '/', 3 bytes
      "\xE0\x9F\xBF",      // overlong U+07FF
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
      "\xED\xA0\x80",      // U+D800, a surrogate
      "\xED\xBF\xBF",      // U+DFFF
      "\xF4\x90\x80\x80",  // U+110000, beyond Unicode
      "\xF5\x80\x80\x80",  // lead byte never used
      "\xFF",              // never used
      "\xFE",              // never used
      "\x80",              // a stray continuation byte
      "ab\xC3",            // truncated 2-byte sequence at the end
      "\xE2\x82",          // truncated 3-byte sequence
      "\xF0\x9F\x98",      // truncated 4-byte sequence
      "\xE2\x28\xA1",      // second byte not a continuation
      "\xC3\xBC\xBC",      // one continuation too many
  };
  for (const char* text : invalid) {
    CAPTURE(std::string(text));
    CHECK_FALSE(is_valid_utf8(text));
  }
  CHECK(valid_utf8_prefix("ab\xFF"
                          "cd") == 2);
  CHECK(valid_utf8_prefix("\xC3\xBC\xBC") == 2);
}

TEST_CASE("decode_utf8 gives code points, and -1 with length 1 for a byte that starts no sequence",
          "[utf8]") {
  CHECK(clvkit::decode_utf8("a", 0).code_point == 'a');
  CHECK(clvkit::decode_utf8("\xC3\xBC", 0).code_point == 0xFC);
  CHECK(clvkit::decode_utf8("\xC3\xBC", 0).length == 2);
  CHECK(clvkit::decode_utf8("\xE2\x82\xAC", 0).code_point == 0x20AC);
  CHECK(clvkit::decode_utf8("\xF4\x8F\xBF\xBF", 0).code_point == 0x10FFFF);
  CHECK(clvkit::decode_utf8("\xE2\x82", 0).code_point == -1);
  CHECK(clvkit::decode_utf8("\xE2\x82", 0).length == 1);
  CHECK(clvkit::decode_utf8("x\xFF", 1).code_point == -1);
}

TEST_CASE("replace_invalid_utf8 substitutes U+FFFD for each byte that starts no sequence",
          "[utf8]") {
  CHECK(replace_invalid_utf8("plain/path.csv") == "plain/path.csv");
  CHECK(replace_invalid_utf8("M\xC3\xBCller") == "M\xC3\xBCller");
  CHECK(replace_invalid_utf8("a\xFF"
                             "b") ==
        "a\xEF\xBF\xBD"
        "b");
  // As the HTML report writes it: a truncated 3-byte sequence is two bad bytes.
  CHECK(replace_invalid_utf8("\xE2\x82"
                             "x") ==
        "\xEF\xBF\xBD\xEF\xBF\xBD"
        "x");
  CHECK(replace_invalid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(is_valid_utf8(replace_invalid_utf8("\xC0\xAF\xF0\x9F\x98\xFF\xFE")));
}
