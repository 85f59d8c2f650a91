// `--lang en|es|pl|zh` from the command line (issue 17): what a person reads changes language,
// what a pipeline reads (JSON, NDJSON, CSV) does not change by a byte, and no English text of
// the catalogue is left in a report or table written in another language.

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "clvkit/util/language.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using clvkit::test::write_text;

const std::vector<std::string> languages = {"en", "es", "pl", "zh"};

// The English phrases of the catalogue that a translation must not leave behind: each text cut
// at its placeholders and HTML tags, trimmed, kept when it is a phrase (two words or more) or a
// word of six letters or more, and dropped when the target catalogue itself uses it (Polish
// "Segment", symbols such as "P(alive)"; model names, parameter symbols and the product name are
// in no English phrase of their own).
std::set<std::string> english_phrases(const clvkit::Language& target) {
  static const std::regex cut(R"(\{[A-Za-z_]+\}|<[^>]*>)");
  std::set<std::string> phrases;
  for (const auto& [key, text] : clvkit::english().texts()) {
    std::sregex_token_iterator part(text.begin(), text.end(), cut, -1), end;
    for (; part != end; ++part) {
      std::string phrase = *part;
      const auto edge = [](char c) {
        return c == ' ' || c == ',' || c == '.' || c == ':' || c == ';' || c == '(' || c == ')' ||
               c == '-';
      };
      while (!phrase.empty() && edge(phrase.front())) phrase.erase(0, 1);
      while (!phrase.empty() && edge(phrase.back())) phrase.pop_back();
      const bool several_words = phrase.find(' ') != std::string::npos;
      const bool long_word = phrase.size() >= 6;
      if (!several_words && !long_word) continue;
      bool used_by_target = false;
      for (const auto& [k, translated] : target.texts()) {
        if (translated.find(phrase) != std::string::npos) used_by_target = true;
      }
      if (!used_by_target) phrases.insert(phrase);
    }
  }
  return phrases;
}

// Fails for every English phrase of the catalogue found in `output`.
// The text of an HTML page or a terminal table as a reader sees it: tags (element names, ids
// such as "fig-expected-purchases-matrix", class names) are not read, aria-labels are.
void check_no_english(const std::string& output, const std::string& code, const std::string& what) {
  std::string text = std::regex_replace(output, std::regex("<[^>]*>"), " ");
  // ... but the labels screen readers read are: aria-label attributes.
  static const std::regex aria(R"re(aria-label="([^"]*)")re");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), aria);
       it != std::sregex_iterator(); ++it) {
    text += '\n';
    text += (*it)[1].str();
  }
  const clvkit::Language target = clvkit::Language::load(code);
  for (const std::string& phrase : english_phrases(target)) {
    CAPTURE(what, code, phrase);
    CHECK(text.find(phrase) == std::string::npos);
  }
}

// `clvkit <arguments> --lang <code>`, which must succeed; its standard output.
std::string run_in(const std::string& arguments, const std::string& code, const TempDir& dir) {
  const auto result = run_cli(arguments + " --lang " + code, dir);
  INFO(arguments << " --lang " << code << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

}  // namespace

TEST_CASE("the language (--lang) leaves every JSON, NDJSON and CSV output byte-identical",
          "[cli][language][consistency]") {
  TempDir dir;
  // One command line per machine output; {out} is the file it writes, {lang} the language.
  const std::vector<std::string> commands = {
      "segments data/cdnow.csv -q --format json -o {out}",
      "segments data/cdnow.csv -q --forecast --draws 50 --format json -o {out}",
      "segments data/cdnow.csv -q --upgrade --format json -o {out}",
      "validate data/cdnow.csv -q --calibration-end 1997-09-30 --format json -o {out}",
      "compare data/cdnow.csv -q --calibration-end 1997-09-30 --format json -o {out}",
      "migrate data/cdnow.csv -q --every quarter --format json -o {out}",
      "migrate data/cdnow.csv -q --every quarter --format csv -o {out}",
  };
  for (std::size_t c = 0; c < commands.size(); ++c) {
    std::string reference;
    for (const std::string& code : languages) {
      CAPTURE(commands[c], code);
      const std::string out = dir.file("out-" + std::to_string(c) + "-" + code);
      std::string command = std::regex_replace(commands[c], std::regex(R"(\{out\})"), out);
      run_in(command, code, dir);
      const std::string bytes = read_text(out);
      REQUIRE(!bytes.empty());
      if (code == "en") {
        reference = bytes;
      } else {
        CHECK(bytes == reference);
      }
    }
  }

  // The daily update: its records (NDJSON), its moves (CSV) and its state, in every language.
  const auto first = run_cli("run data/cdnow.csv -q --as-of 1998-05-31 --state " +
                                 dir.file("state.bin") + " -o " + dir.file("run.json"),
                             dir);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  write_text(dir.file("june.csv"),
             "customer_id,date,amount\n1,1998-06-15,20.5\n77777,1998-06-20,5\n");
  std::string records, moves, state;
  for (const std::string& code : languages) {
    CAPTURE(code);
    const std::string out = dir.file("update-" + code);
    const std::string summary =
        run_in("update " + dir.file("state.bin") + " " + dir.file("june.csv") + " --state-out " +
                   out + ".bin --moves " + out + ".moves.csv --format ndjson -o " + out + ".ndjson",
               code, dir);
    CHECK(!summary.empty());  // the per-segment summary, in the language
    if (code == "en") {
      records = read_text(out + ".ndjson");
      moves = read_text(out + ".moves.csv");
      state = read_text(out + ".bin");
      REQUIRE(!records.empty());
    } else {
      CHECK(read_text(out + ".ndjson") == records);
      CHECK(read_text(out + ".moves.csv") == moves);
      CHECK(read_text(out + ".bin") == state);
    }
  }
}

TEST_CASE("English (--lang en) writes the same bytes as no --lang",
          "[cli][language][consistency]") {
  TempDir dir;
  for (const std::string& command :
       {std::string("report data/cdnow.csv -q --calibration-end 1997-09-30 -o -"),
        std::string("segments data/cdnow.csv -q"),
        std::string("compare data/cdnow.csv -q --calibration-end 1997-09-30"),
        std::string("migrate data/cdnow.csv -q --every quarter")}) {
    CAPTURE(command);
    const auto plain = run_cli(command, dir);
    REQUIRE(plain.exit_code == 0);
    CHECK(run_in(command, "en", dir) == plain.out);
  }
}

TEST_CASE(
    "the report and the tables in Spanish, Polish and Chinese leave no English text of "
    "the catalogue",
    "[cli][language]") {
  TempDir dir;
  for (const std::string code : {"es", "pl", "zh"}) {
    CAPTURE(code);
    const std::string report = run_in(
        "report data/cdnow.csv -q --calibration-end 1997-09-30 --currency EUR "
        "--every quarter --upgrade -o -",
        code, dir);
    check_no_english(report, code, "report --calibration-end --every");
    check_no_english(
        run_in("report data/cdnow.csv -q --segments rfm8 --time-unit month -o -", code, dir), code,
        "report --segments rfm8");
    check_no_english(
        run_in("segments data/cdnow.csv -q --forecast --draws 50 --upgrade", code, dir), code,
        "segments --forecast --upgrade");
    check_no_english(run_in("validate data/cdnow.csv -q --calibration-end 1997-09-30", code, dir),
                     code, "validate");
    check_no_english(run_in("compare data/cdnow.csv -q --calibration-end 1997-09-30", code, dir),
                     code, "compare");
    check_no_english(run_in("migrate data/cdnow.csv -q --every quarter", code, dir), code,
                     "migrate");
    // The segments by their labels in the language.
    const std::string champions = code == "es"   ? "Campeones"
                                  : code == "pl" ? "Mistrzowie"
                                                 : "冠军客户";
    CHECK(report.find(champions) != std::string::npos);
    CHECK(report.find(">Champions<") == std::string::npos);
  }
}

TEST_CASE("numbers and dates of a Spanish table are written the Spanish way", "[cli][language]") {
  TempDir dir;
  const std::string table = run_in("segments data/cdnow.csv -q", "es", dir);
  // 2,357 customers as of 1998-06-30; Champions' revenue 147,991.87 and share 21.2%.
  CHECK(table.rfind("2.357 clientes, esquema rfm11, a 30/06/1998", 0) == 0);
  CHECK(table.find("147.991,87") != std::string::npos);
  CHECK(table.find("21,2\u00a0%") != std::string::npos);
}

TEST_CASE("a scheme without labels in the language shows the segments' names and says so once",
          "[cli][language][inputcheck]") {
  TempDir dir;
  // rfm8 without its labels: every segment falls back to its name.
  std::string scheme = read_text("models/segments/rfm8.json");
  scheme = std::regex_replace(scheme, std::regex(R"("labels": \{[^}]*\},?)"), "");
  REQUIRE(scheme.find("labels") == std::string::npos);
  write_text(dir.file("plain.json"), scheme);

  const auto table = run_cli(
      "segments data/cdnow.csv -q --segments " + dir.file("plain.json") + " --lang pl", dir);
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("Best customers") != std::string::npos);
  const std::string warning = "nie ma polskich nazw dla segmentów";
  const std::size_t at = table.err.find(warning);
  REQUIRE(at != std::string::npos);
  CHECK(table.err.find(warning, at + 1) == std::string::npos);  // once
  CHECK(table.err.find("Lapsed low value") != std::string::npos);

  const auto report = run_cli("report data/cdnow.csv -q --segments " + dir.file("plain.json") +
                                  " --lang pl -o " + dir.file("plain.html"),
                              dir);
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  const std::size_t in_stderr = report.err.find(warning);
  REQUIRE(in_stderr != std::string::npos);
  CHECK(report.err.find(warning, in_stderr + 1) == std::string::npos);
  // In the report: one line of "How this report was made", marked as a warning.
  const std::string html = read_text(dir.file("plain.html"));
  CHECK(html.find("data-warning=\"labels\"") != std::string::npos);

  // English needs no labels: no warning.
  const auto english =
      run_cli("segments data/cdnow.csv -q --segments " + dir.file("plain.json"), dir);
  REQUIRE(english.exit_code == 0);
  CHECK(english.err.find("warning") == std::string::npos);
}

TEST_CASE("an unknown language (--lang fr) is refused, naming those there are",
          "[cli][language][inputcheck]") {
  TempDir dir;
  const auto result = run_cli("segments data/cdnow.csv -q --lang fr", dir);
  CHECK(result.exit_code == 1);  // a usage error
  CHECK(result.err.find("unknown language 'fr'; available: en, es, pl, zh") != std::string::npos);
}
