#include "clvkit/util/language.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <set>
#include <string>

#include "clvkit/error.hpp"

namespace {

using clvkit::Language;

// The placeholders of a catalogue text: {name} (doubled braces are literal).
std::set<std::string> placeholders(const std::string& text) {
  std::set<std::string> out;
  static const std::regex placeholder(R"(\{([A-Za-z_]+)\})");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), placeholder);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

// Day number of a calendar date (days since 1970-01-01).
clvkit::Day day(int y, unsigned m, unsigned d) {
  return static_cast<clvkit::Day>(
      std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}
          .time_since_epoch()
          .count());
}

const std::string nbsp = "\u00a0";

}  // namespace

TEST_CASE("every language catalogue has exactly the keys of English, with the same placeholders",
          "[language][catalogue]") {
  const Language& en = clvkit::english();
  REQUIRE(clvkit::available_languages() == std::vector<std::string>{"en", "es", "pl", "zh"});
  REQUIRE(en.texts().size() > 300);
  for (const std::string& code : clvkit::available_languages()) {
    CAPTURE(code);
    const Language language = Language::load(code);
    CHECK(language.code() == code);
    for (const auto& [key, text] : en.texts()) {
      CAPTURE(key);
      REQUIRE(language.has(key));  // every key of English in every language
      CHECK(placeholders(language.text(key)) == placeholders(text));
    }
    for (const auto& [key, text] : language.texts()) {
      CAPTURE(key);
      CHECK(en.has(key));  // and no key that English lacks
    }
  }
}

TEST_CASE("a non-English catalogue translates every text that has words in it",
          "[language][catalogue]") {
  // Texts that are the same in every language: symbols, abbreviations and score labels.
  const std::set<std::string> universal = {"CLV", "F {score}", "R {score}", "CLV ({currency})",
                                           "model.gamma_gamma.description"};
  const Language& en = clvkit::english();
  for (const std::string code : {"es", "pl", "zh"}) {
    CAPTURE(code);
    const Language language = Language::load(code);
    for (const auto& [key, text] : en.texts()) {
      CAPTURE(key, text);
      if (universal.count(text) > 0 || universal.count(key) > 0) continue;
      // Polish writes "Segment" and "Model" as English does, Spanish "no".
      if (code == "pl" &&
          (text == "Segment" || text == "Model" || text == "model" || text == "segment")) {
        continue;
      }
      if (code == "es" && text == "no") continue;
      CHECK(language.text(key) != text);
    }
  }
}

TEST_CASE("numbers, percentages, money and dates follow the language's locale",
          "[language][format]") {
  const Language& en = clvkit::english();
  const Language es = Language::load("es");
  const Language pl = Language::load("pl");
  const Language zh = Language::load("zh");

  // English: the report's own label format, byte for byte.
  CHECK(en.number(1234.5, 2) == "1,234.50");
  CHECK(en.number(-0.004, 2) == "0.00");  // rounds to zero: no sign
  CHECK(en.number(-12000, 0) == "-12,000");
  CHECK(en.percent(0.25) == "25.0%");
  CHECK(en.money(1234.56, "EUR") == "1,234.56 EUR");
  CHECK(en.money(1234.56, "") == "1,234.56");
  CHECK(en.date(day(1997, 9, 30)) == "1997-09-30");

  // Spanish: decimal comma, thousands point, a no-break space before % and the currency.
  CHECK(es.number(1234.56, 2) == "1.234,56");
  CHECK(es.number(1234567.891, 1) == "1.234.567,9");
  CHECK(es.money(1234.56, "€") == "1.234,56" + nbsp + "€");
  CHECK(es.percent(0.125) == "12,5" + nbsp + "%");
  CHECK(es.date(day(1997, 9, 30)) == "30/09/1997");

  // Polish: a no-break space between thousands, the currency after the amount.
  CHECK(pl.number(1234.56, 2) == "1" + nbsp + "234,56");
  CHECK(pl.money(1234.56, "zł") == "1" + nbsp + "234,56" + nbsp + "zł");
  CHECK(pl.percent(0.125) == "12,5%");
  CHECK(pl.date(day(1998, 6, 30)) == "30.06.1998");

  // Chinese: the currency before the amount, set apart when it is a code.
  CHECK(zh.money(1234.56, "¥") == "¥1,234.56");
  CHECK(zh.money(1234.56, "USD") == "USD" + nbsp + "1,234.56");
  CHECK(zh.date(day(1998, 6, 30)) == "1998年6月30日");

  CHECK(clvkit::format_decimal(1e6, 0, {",", "."}) == "1.000.000");
  CHECK(clvkit::format_significant(0.012345, 3, {",", "."}) == "0,0123");
}

TEST_CASE("lengths of time take the plural form of their number", "[language][plural]") {
  const Language& en = clvkit::english();
  const Language pl = Language::load("pl");
  const Language es = Language::load("es");
  const Language zh = Language::load("zh");
  CHECK(en.length(1, 0, "month") == "1 month");
  CHECK(en.length(12, 0, "month") == "12 months");
  CHECK(en.length(1, 1, "week") == "1.0 weeks");  // CLDR: "1.0" is not "one"
  CHECK(es.length(1, 0, "month") == "1 mes");
  CHECK(es.length(26, 0, "week") == "26 semanas");
  // Polish: 1 miesiąc, 2-4 miesiące (not 12-14), 5+ miesięcy, fractions miesiąca.
  CHECK(pl.length(1, 0, "month") == "1 miesiąc");
  CHECK(pl.length(3, 0, "month") == "3 miesiące");
  CHECK(pl.length(12, 0, "month") == "12 miesięcy");
  CHECK(pl.length(22, 0, "month") == "22 miesiące");
  CHECK(pl.length(13, 0, "week") == "13 tygodni");
  CHECK(pl.length(30.5, 1, "week") == "30,5 tygodnia");
  CHECK(zh.length(12, 0, "month") == "12个月");
}

TEST_CASE("texts fill their placeholders and say which one is missing", "[language][inputcheck]") {
  const Language& en = clvkit::english();
  CHECK(en.format("kpi.clv", {{"horizon", "12 months"}}) == "expected CLV, next 12 months");
  REQUIRE_THROWS_AS(en.format("kpi.clv", {}), clvkit::UsageError);
  REQUIRE_THROWS_WITH(en.format("kpi.clv", {}), Catch::Contains("{horizon}"));
  REQUIRE_THROWS_WITH(en.text("no.such.key"), Catch::Contains("'no.such.key'"));
  REQUIRE_THROWS_AS(Language::load("fr"), clvkit::UsageError);
  REQUIRE_THROWS_WITH(Language::load("fr"), Catch::Contains("available: en, es, pl, zh"));
  REQUIRE_THROWS_AS(Language::parse(R"({"language": "xx"})", "xx.json"), clvkit::InputError);
  REQUIRE_THROWS_WITH(Language::parse(R"({"language": "xx"})", "xx.json"),
                      Catch::Contains("xx.json: missing field 'name'"));
}

TEST_CASE("display_width counts CJK characters as two columns and accents as one",
          "[language][terminal]") {
  CHECK(clvkit::display_width("Champions") == 9);
  CHECK(clvkit::display_width("Zagrożeni odejściem") == 19);
  CHECK(clvkit::display_width("冠军客户") == 8);
  CHECK(clvkit::display_width("e\u0301") == 1);  // e + combining acute
}
