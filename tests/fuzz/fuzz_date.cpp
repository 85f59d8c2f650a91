// Fuzzes the date parser (DateParser, parse_iso_day) and the day formatter.
//
// Input: "FORMAT\nTEXT" (a strftime-style format, then the text to parse), or TEXT alone for the
// automatic ISO forms. Properties: no crash or UB; an invalid format is refused with UsageError
// only; a parsed date formats as "YYYY-MM-DD" and that text parses back to the same day
// (%Y has exactly 4 digits, so every parsed year is in 0..9999); for 10-character text the
// row loop's fast path (parse_iso_day) agrees with the automatic parser, and so does the
// command line's parse_iso_date_or_throw; format_day_to writes what format_day returns, in at
// most kMaxDayChars characters, for any day number (the first 4 bytes read as one).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "fuzz_check.hpp"

namespace {

using clvkit::Day;
using clvkit::fuzz::require;

void check_formatting(Day day) {
  const std::string text = clvkit::format_day(day);
  char buffer[clvkit::kMaxDayChars];
  const char* end = clvkit::format_day_to(buffer, day);
  require(end >= buffer && static_cast<std::size_t>(end - buffer) <= clvkit::kMaxDayChars,
          "format_day_to writes at most kMaxDayChars characters", std::to_string(day));
  require(std::string_view(buffer, static_cast<std::size_t>(end - buffer)) == text,
          "format_day_to writes format_day's text", std::to_string(day) + " " + text);
}

void check_round_trip(Day day, std::string_view text) {
  const std::string written = clvkit::format_day(day);
  const std::string detail = "'" + std::string(text) + "' -> " + written;
  require(written.size() == 10, "a parsed day formats as YYYY-MM-DD", detail);
  static const clvkit::DateParser iso;
  require(iso.parse(written) == day, "a formatted day parses back to itself", detail);
  Day fast = 0;
  require(clvkit::parse_iso_day(written.data(), fast) && fast == day,
          "parse_iso_day reads format_day's text", detail);
}

void check_iso_paths_agree(std::string_view text) {
  static const clvkit::DateParser iso;
  const std::optional<Day> parsed = iso.parse(text);
  if (text.size() == 10) {
    Day fast = 0;
    const bool accepted = clvkit::parse_iso_day(text.data(), fast);
    require(accepted == (parsed.has_value() && text[4] == '-' && text[7] == '-'),
            "parse_iso_day accepts exactly the automatic parser's YYYY-MM-DD", std::string(text));
    if (accepted) require(fast == *parsed, "parse_iso_day and DateParser agree", std::string(text));
  }
  std::optional<Day> command_line;
  try {
    command_line = clvkit::parse_iso_date_or_throw(text, "--as-of");
  } catch (const clvkit::UsageError&) {
  }
  if (command_line) {
    require(parsed == command_line, "parse_iso_date_or_throw agrees with DateParser",
            std::string(text));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (size >= sizeof(Day)) {
    Day day;
    std::memcpy(&day, data, sizeof day);
    check_formatting(day);
  }
  const std::size_t newline = input.find('\n');
  const std::string format(newline == std::string_view::npos ? std::string_view{}
                                                             : input.substr(0, newline));
  const std::string_view text =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  std::optional<clvkit::DateParser> parser;
  try {
    parser.emplace(format);
  } catch (const clvkit::UsageError&) {
    return 0;  // an invalid format is refused; anything else thrown escapes as a finding
  }
  if (const std::optional<Day> day = parser->parse(text)) check_round_trip(*day, text);
  if (format.empty()) check_iso_paths_agree(text);
  return 0;
}
