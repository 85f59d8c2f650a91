#pragma once
// The language of what a person reads: the HTML report and the terminal tables (`--lang`). A
// Language is a catalogue of texts by key, read from data (models/lang/<code>.json, compiled into
// the library like the built-in segment schemes), and the locale's way of writing numbers,
// percentages, amounts of money and dates. Machine outputs (JSON, NDJSON, CSV) never use it:
// their field names and values are English whatever the language.
//
// Catalogue format (one file per language, every file with the same keys as en.json):
//   {"language": "es", "name": "Español",
//    "locale": {"decimal": ",", "group": ".", "percent": "{value} %",
//               "money": "{amount} {currency}", "date": "{day}/{month}/{year}",
//               "plural": "one-other", "html_lang": "es", "extra_css": ""},
//    "texts": {"report.title": "Informe de la base de clientes", ...}}
// Texts hold placeholders `{name}` filled by Language::format; `{{` and `}}` stand for braces.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/day.hpp"

namespace clvkit {

/// How a locale writes numbers: decimal mark and thousands separator (UTF-8, e.g. "," and
/// U+00A0 NO-BREAK SPACE in Polish).
struct NumberFormat {
  std::string decimal = ".";
  std::string group = ",";
};

/// `value` rounded to `decimals` (0..15) decimals, with `format`'s thousands separator every
/// three integer digits and its decimal mark: format_decimal(1234.5, 2, {",", "."}) ==
/// "1.234,50". A negative value that rounds to zero is written without a sign; NaN and
/// infinities are written "NaN", "inf", "-inf". The English format gives the report's labels
/// (format_label in report/svg.hpp) byte for byte.
std::string format_decimal(double value, int decimals, const NumberFormat& format = {});

/// `value` as printf's %g writes it with `significant_digits` digits, with `format`'s decimal
/// mark ("0,0123" in Spanish); no thousands separator (format_number in English).
std::string format_significant(double value, int significant_digits, const NumberFormat& format);

/// A filled placeholder of Language::format: name and text.
using TextArgument = std::pair<std::string_view, std::string_view>;

class Language {
 public:
  /// The built-in language `code` (available_languages()). Throws UsageError for an unknown
  /// code, listing the available ones: "unknown language 'fr'; available: en, es, pl, zh".
  static Language load(std::string_view code);

  /// Parses a catalogue (format above); `source` names it in messages. Throws InputError when
  /// the text is not such an object, a field is missing or not a string, or a text is empty.
  static Language parse(std::string_view json_text, const std::string& source);

  const std::string& code() const noexcept { return code_; }  ///< "en", "es", "pl", "zh"
  const std::string& name() const noexcept { return name_; }  ///< as the language calls itself
  const NumberFormat& numbers() const noexcept { return numbers_; }
  const std::map<std::string, std::string, std::less<>>& texts() const noexcept { return texts_; }

  /// Whether the catalogue has a text for `key`.
  bool has(std::string_view key) const { return texts_.find(key) != texts_.end(); }

  /// The text of `key`. Throws UsageError "language 'es' has no text 'x'" for a missing key
  /// (a catalogue out of step with the code; the tests check every key exists).
  const std::string& text(std::string_view key) const;

  /// The text of `key` with its placeholders filled: format("a.b", {{"n", "3"}}). Throws
  /// UsageError for a missing key, and for a placeholder that no argument fills.
  std::string format(std::string_view key, std::initializer_list<TextArgument> arguments) const;
  std::string format(std::string_view key,
                     const std::vector<std::pair<std::string, std::string>>& arguments) const;

  /// Numbers, as the locale writes them (format_decimal with numbers()).
  std::string number(double value, int decimals) const;
  std::string count(std::int64_t value) const;
  /// The language tag of an HTML page in this language ("en", "es", "pl", "zh-CN").
  const std::string& html_lang() const noexcept { return html_lang_; }
  /// CSS a page in this language adds to its style sheet (fonts for its script); may be empty.
  const std::string& extra_css() const noexcept { return extra_css_; }

  /// A number already written (by number() or a caller's own rounding) with the locale's
  /// percent sign: "25.0%" (en), "25,0 %" (es).
  std::string percent_sign(std::string_view number) const;
  /// An amount already written with its currency where the locale puts it (see money()).
  std::string with_currency(std::string_view amount, std::string_view currency) const;

  /// A share (0.25) as a percentage: "25.0%" (en), "25,0 %" (es).
  std::string percent(double share, int decimals = 1) const;
  /// An amount with its currency where the locale puts it: "1,234.56 EUR" (en), "1.234,56 €"
  /// (es), "US$1,234.56" (zh). An empty currency gives the number alone.
  std::string money(double value, std::string_view currency, int decimals = 2) const;
  /// The plural form a number written with `decimals` decimals takes, the suffix of keys written
  /// per form ("length.month.one"): "one", "few", "many" or "other", by the locale's rule
  /// ("plural": "one-other" for English and Spanish, "polish", "none" for Chinese; CLDR's rules,
  /// where "1.0" is not "one"). Every catalogue has all four keys.
  const char* plural_form(double n, int decimals = 0) const noexcept;

  /// A length of time in `unit` ("day", "week", "month", "quarter", "year"): "26 weeks",
  /// "1 month", "2,5 tygodnia" (keys "length.<unit>.<form>", the number with `decimals`).
  std::string length(double n, int decimals, std::string_view unit) const;

  /// A calendar day: "1997-12-31" (en), "31/12/1997" (es), "31.12.1997" (pl), "1997年12月31日"
  /// (zh). Date patterns have {year}, {month} and {day} (two digits) and {m} and {d} (no leading
  /// zero).
  std::string date(Day day) const;

 private:
  std::string code_;
  std::string name_;
  NumberFormat numbers_;
  std::string percent_pattern_ = "{value}%";
  std::string money_pattern_ = "{amount} {currency}";
  std::string date_pattern_ = "{year}-{month}-{day}";
  std::string plural_rule_ = "one-other";
  std::string html_lang_ = "en";
  std::string extra_css_;
  std::map<std::string, std::string, std::less<>> texts_;
};

/// Codes of the built-in languages, sorted: one per models/lang/<code>.json (en, es, pl, zh).
std::vector<std::string> available_languages();

/// The built-in English catalogue, loaded once (what every default output is written in).
const Language& english();

/// Terminal columns `text` takes: two for an East Asian wide or fullwidth character (CJK,
/// Hangul, fullwidth forms), none for a combining mark, one otherwise (a byte that is not
/// well-formed UTF-8 counts one). For aligning tables that hold translated text.
std::size_t display_width(std::string_view text);

}  // namespace clvkit
