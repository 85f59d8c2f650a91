#include "clvkit/rfm/segments.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using clvkit::InputError;
using clvkit::IoError;
using clvkit::RfmScore;
using clvkit::SegmentScheme;
using clvkit::UsageError;

const std::string data_dir = CLVKIT_TEST_DATA_DIR "/segments";
const std::string shipped_dir = CLVKIT_TEST_SOURCE_DIR "/models/segments";

RfmScore score(int r, int f, int m) {
  return RfmScore{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(f),
                  static_cast<std::uint8_t>(m)};
}

const std::string& segment_name(const SegmentScheme& scheme, RfmScore s) {
  return scheme.segments().at(static_cast<std::size_t>(scheme.segment_of(s))).name;
}

bool in_range(const std::optional<clvkit::ScoreRange>& range, int s) {
  return !range || (range->lo <= s && s <= range->hi);
}

/// The specification, evaluated the slow way: the first segment with a rule containing the cell.
int first_match(const SegmentScheme& scheme, int r, int f, int m) {
  const auto& segments = scheme.segments();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    for (const clvkit::SegmentRule& rule : segments[i].rules) {
      if (in_range(rule.r, r) && in_range(rule.f, f) && in_range(rule.m, m)) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

/// Sets an environment variable for the lifetime of the guard, then restores it.
class EnvGuard {
 public:
  EnvGuard(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string exception_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

clvkit::CustomerSummary customer(std::string id, int days_since_last, int purchase_days,
                                 double total_spend) {
  clvkit::CustomerSummary c;
  c.id = std::move(id);
  c.days_since_last = days_since_last;
  c.purchase_days = purchase_days;
  c.frequency = purchase_days - 1;
  c.total_spend = total_spend;
  c.avg_spend = total_spend / purchase_days;
  return c;
}

struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

/// A customer base that keeps acquiring customers: recency uniform over two years, 60% buy on
/// one day only, the rest on a few days; spend grows with the number of purchase days.
std::vector<clvkit::CustomerSummary> synthetic_base(int n, std::uint64_t seed) {
  SplitMix rng{seed};
  std::vector<clvkit::CustomerSummary> customers;
  for (int i = 0; i < n; ++i) {
    int days = 1;
    if (rng.below(10) >= 6) {
      days = 2;
      while (days < 30 && rng.below(3) > 0) ++days;
    }
    const double spend = days * (5.0 + rng.below(95)) + rng.below(100) / 100.0;
    std::string id = "c";
    id += std::to_string(i);
    customers.push_back(customer(std::move(id), rng.below(730), days, spend));
  }
  return customers;
}

// ---------------------------------------------------------------------------------------------
// Markdown for models/segments/README.md, generated from the scheme files.

std::string range_text(const char* dimension, const std::optional<clvkit::ScoreRange>& range) {
  if (!range) return "";
  std::string text = std::string(dimension) + " " + std::to_string(range->lo);
  if (range->hi != range->lo) text += "-" + std::to_string(range->hi);
  return text;
}

std::string rule_text(const clvkit::SegmentRule& rule) {
  std::string text;
  for (const std::string& part :
       {range_text("R", rule.r), range_text("F", rule.f), range_text("M", rule.m)}) {
    if (part.empty()) continue;
    if (!text.empty()) text += ", ";
    text += part;
  }
  return text.empty() ? "any" : text;
}

std::string render_scheme_markdown(const SegmentScheme& scheme) {
  std::ostringstream out;
  const auto& segments = scheme.segments();
  const int bins = scheme.bins();
  out << "Rules, in the order they are tried (the first match wins; an omitted score means "
         "any):\n\n";
  out << "| # | Segment | Rules | Cells | Description |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string rules;
    for (const clvkit::SegmentRule& rule : segments[i].rules) {
      if (!rules.empty()) rules += " or ";
      rules += rule_text(rule);
    }
    out << "| " << i + 1 << " | " << segments[i].name << " | " << rules << " | "
        << scheme.cell_count(static_cast<int>(i)) << " | " << segments[i].description << " |\n";
  }
  out << "\nSegment of every cell: rows R, columns F; where M matters, the M scores are given.\n\n";
  out << "| R \\ F |";
  for (int f = 1; f <= bins; ++f) out << " F " << f << " |";
  out << "\n|---|";
  for (int f = 1; f <= bins; ++f) out << "---|";
  out << "\n";
  for (int r = bins; r >= 1; --r) {
    out << "| **R " << r << "** |";
    for (int f = 1; f <= bins; ++f) {
      // Runs of consecutive M scores that share a segment.
      std::vector<std::pair<int, int>> runs;  // (segment, first m)
      for (int m = 1; m <= bins; ++m) {
        const int segment = scheme.segment_of(score(r, f, m));
        if (runs.empty() || runs.back().first != segment) runs.emplace_back(segment, m);
      }
      std::string cell;
      for (std::size_t k = 0; k < runs.size(); ++k) {
        const int first = runs[k].second;
        const int last = k + 1 < runs.size() ? runs[k + 1].second - 1 : bins;
        if (!cell.empty()) cell += "; ";
        cell += segments[static_cast<std::size_t>(runs[k].first)].name;
        if (runs.size() > 1) {
          cell += " (M ";
          cell += std::to_string(first);
          if (last > first) {
            cell += '-';
            cell += std::to_string(last);
          }
          cell += ")";
        }
      }
      out << " " << cell << " |";
    }
    out << "\n";
  }
  std::vector<std::string> languages;
  for (const auto& segment : segments) {
    for (const auto& [language, label] : segment.labels) {
      if (std::find(languages.begin(), languages.end(), language) == languages.end()) {
        languages.push_back(language);
      }
    }
  }
  std::sort(languages.begin(), languages.end());
  if (!languages.empty()) {
    out << "\nLabels:\n\n| Segment |";
    for (const auto& language : languages) out << " " << language << " |";
    out << "\n|---|";
    for (std::size_t k = 0; k < languages.size(); ++k) out << "---|";
    out << "\n";
    for (const auto& segment : segments) {
      out << "| " << segment.name << " |";
      for (const auto& language : languages) out << " " << segment.label_or_name(language) << " |";
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace

TEST_CASE("rfm11 assigns each of its segments to a representative cell", "[rfm]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  const std::vector<std::pair<RfmScore, std::string>> expected{
      {score(5, 5, 5), "Champions"},
      {score(5, 4, 1), "Loyal Customers"},
      {score(3, 5, 5), "Loyal Customers"},
      {score(5, 2, 3), "Potential Loyalists"},
      {score(4, 3, 2), "Promising"},
      {score(5, 1, 5), "New Customers"},
      {score(4, 1, 1), "New Customers"},
      {score(3, 3, 3), "Need Attention"},
      {score(3, 1, 5), "About to Sleep"},
      {score(3, 2, 2), "About to Sleep"},
      {score(2, 5, 5), "Can't Lose Them"},
      {score(1, 4, 4), "Can't Lose Them"},
      {score(1, 3, 1), "At Risk"},
      {score(2, 2, 5), "At Risk"},
      {score(1, 1, 1), "Lost"},
      {score(1, 2, 2), "Lost"},
      {score(2, 1, 1), "Hibernating"},
      {score(1, 1, 5), "Hibernating"},
  };
  for (const auto& [s, name] : expected) {
    CAPTURE(clvkit::rfm_cell(s));
    CHECK(segment_name(scheme, s) == name);
  }
  std::vector<std::string> names;
  for (const auto& segment : scheme.segments()) names.push_back(segment.name);
  CHECK(names == std::vector<std::string>{"Champions", "Loyal Customers", "Potential Loyalists",
                                          "Promising", "New Customers", "Need Attention",
                                          "About to Sleep", "Can't Lose Them", "At Risk", "Lost",
                                          "Hibernating"});
}

TEST_CASE("shipped schemes cover every cell and reach every segment", "[rfm][property]") {
  for (const char* name : {"rfm11", "rfm8", "rfm11-thresholds"}) {
    CAPTURE(name);
    const SegmentScheme scheme = clvkit::load_segment_scheme(name);
    CHECK(scheme.name() == name);
    const int bins = scheme.bins();
    CHECK(bins == 5);
    std::vector<int> cells(scheme.segments().size(), 0);
    for (int r = 1; r <= bins; ++r) {
      for (int f = 1; f <= bins; ++f) {
        for (int m = 1; m <= bins; ++m) {
          CAPTURE(r, f, m);
          const int segment = scheme.segment_of(score(r, f, m));
          REQUIRE(segment >= 0);
          REQUIRE(segment < static_cast<int>(scheme.segments().size()));
          CHECK(segment == first_match(scheme, r, f, m));  // the lookup is the spec
          ++cells[static_cast<std::size_t>(segment)];
        }
      }
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      CAPTURE(scheme.segments()[i].name);
      CHECK(cells[i] > 0);
      CHECK(cells[i] == scheme.cell_count(static_cast<int>(i)));
    }
  }
}

TEST_CASE("shipped segments have descriptions and rfm11 has es, pl and zh labels", "[rfm]") {
  for (const char* name : {"rfm11", "rfm8", "rfm11-thresholds"}) {
    const SegmentScheme scheme = clvkit::load_segment_scheme(name);
    for (const auto& segment : scheme.segments()) {
      CAPTURE(name, segment.name);
      CHECK(segment.description.size() > 10);
    }
  }
  const SegmentScheme rfm11 = clvkit::load_segment_scheme("rfm11");
  for (const auto& segment : rfm11.segments()) {
    CAPTURE(segment.name);
    for (const char* language : {"es", "pl", "zh"}) {
      CAPTURE(language);
      CHECK(segment.labels.count(language) == 1);
      CHECK(segment.label_or_name(language) != segment.name);
    }
    CHECK(segment.label_or_name("fr") == segment.name);
  }
}

TEST_CASE("rfm11-thresholds keeps the segments of rfm11", "[rfm][consistency]") {
  // The threshold example repeats rfm11's segments (JSON has no includes): keep them in step.
  const SegmentScheme quantile = clvkit::load_segment_scheme("rfm11");
  const SegmentScheme threshold = clvkit::load_segment_scheme("rfm11-thresholds");
  REQUIRE(quantile.segments().size() == threshold.segments().size());
  for (std::size_t i = 0; i < quantile.segments().size(); ++i) {
    const clvkit::Segment& a = quantile.segments()[i];
    const clvkit::Segment& b = threshold.segments()[i];
    CAPTURE(a.name);
    CHECK(a.name == b.name);
    CHECK(a.description == b.description);
    CHECK(a.labels == b.labels);
  }
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f) {
      for (int m = 1; m <= 5; ++m) {
        CAPTURE(r, f, m);
        CHECK(quantile.segment_of(score(r, f, m)) == threshold.segment_of(score(r, f, m)));
      }
    }
  }
}

TEST_CASE("rfm8 splits every score into high (4-5) and low (1-3)", "[rfm]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm8");
  REQUIRE(scheme.segments().size() == 8);
  const std::map<std::string, std::string> expected{
      {"HHH", "Best customers"},
      {"HHL", "Loyal low spenders"},
      {"HLH", "New big spenders"},
      {"HLL", "New small spenders"},
      {"LHH", "Lapsed best customers"},
      {"LHL", "Lapsed frequent low spenders"},
      {"LLH", "Lapsed occasional big spenders"},
      {"LLL", "Lapsed low value"},
  };
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f) {
      for (int m = 1; m <= 5; ++m) {
        const auto level = [](int s) { return s >= 4 ? 'H' : 'L'; };
        const std::string key{level(r), level(f), level(m)};
        CAPTURE(r, f, m);
        CHECK(segment_name(scheme, score(r, f, m)) == expected.at(key));
      }
    }
  }
}

TEST_CASE("rfm11 with thresholds puts crafted customers in every segment", "[rfm]") {
  // Edges: recency 30/90/180/365 days, purchase days 1/2/3/5, total spend 25/50/100/250.
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11-thresholds");
  const std::vector<std::pair<clvkit::CustomerSummary, std::string>> cases{
      {customer("champion", 10, 6, 300), "Champions"},            // 5 5 5
      {customer("loyal", 100, 4, 10), "Loyal Customers"},         // 3 4 1
      {customer("potential", 60, 2, 60), "Potential Loyalists"},  // 4 2 3
      {customer("promising", 20, 3, 30), "Promising"},            // 5 3 2
      {customer("new", 1, 1, 500), "New Customers"},              // 5 1 5
      {customer("attention", 150, 2, 120), "Need Attention"},     // 3 2 4
      {customer("sleepy", 150, 1, 10), "About to Sleep"},         // 3 1 1
      {customer("cant-lose", 300, 8, 400), "Can't Lose Them"},    // 2 5 5
      {customer("at-risk", 400, 3, 10), "At Risk"},               // 1 3 1
      {customer("lost", 500, 1, 20), "Lost"},                     // 1 1 1
      {customer("hibernating", 200, 1, 20), "Hibernating"},       // 2 1 1
  };
  std::vector<clvkit::CustomerSummary> customers;
  for (const auto& [c, name] : cases) customers.push_back(c);
  const std::vector<RfmScore> scores = clvkit::score_customers(customers, scheme);
  REQUIRE(scores.size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(cases[i].first.id, clvkit::rfm_cell(scores[i]));
    CHECK(segment_name(scheme, scores[i]) == cases[i].second);
  }
}

TEST_CASE("quantile rfm11 gives every customer exactly one segment and reaches all eleven",
          "[rfm][property]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    const std::vector<clvkit::CustomerSummary> customers = synthetic_base(3000, seed);
    const std::vector<RfmScore> scores = clvkit::score_customers(customers, scheme, 5);
    REQUIRE(scores.size() == customers.size());
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const RfmScore s = scores[i];
      CAPTURE(customers[i].id, clvkit::rfm_cell(s));
      // Exactly one segment: the lookup gives one index, and it is the first matching rule.
      const int segment = scheme.segment_of(s);
      REQUIRE(segment == first_match(scheme, s.r, s.f, s.m));
      ++counts[scheme.segments()[static_cast<std::size_t>(segment)].name];
      // One-time buyers are tied on purchase_days: 60% of the base, they all score F = 1.
      if (customers[i].purchase_days == 1) REQUIRE(s.f == 1);
    }
    int total = 0;
    for (const auto& segment : scheme.segments()) {
      CAPTURE(segment.name);
      CHECK(counts[segment.name] > 0);
      total += counts[segment.name];
    }
    CHECK(total == static_cast<int>(customers.size()));
  }
}

TEST_CASE("segment schemes load by name and by path", "[rfm]") {
  SECTION("by name, compiled in") {
    const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
    CHECK(scheme.source() == "built-in:rfm11");
    CHECK(scheme.scoring().method == clvkit::ScoringMethod::quantile);
    CHECK(scheme.scoring().monetary_basis == clvkit::MonetaryBasis::total);
  }
  SECTION("by path") {
    const SegmentScheme scheme = clvkit::load_segment_scheme(data_dir + "/tiny.json");
    CHECK(scheme.name() == "tiny");
    CHECK(scheme.bins() == 2);
    CHECK(scheme.scoring().monetary_basis == clvkit::MonetaryBasis::average);
    CHECK(scheme.source() == data_dir + "/tiny.json");
    CHECK(segment_name(scheme, score(2, 2, 2)) == "Best");
    CHECK(segment_name(scheme, score(2, 2, 1)) == "Rest");
  }
  SECTION("thresholds are read in order") {
    const SegmentScheme scheme =
        clvkit::load_segment_scheme(shipped_dir + "/rfm11-thresholds.json");
    CHECK(scheme.scoring().method == clvkit::ScoringMethod::threshold);
    CHECK(scheme.scoring().recency_edges == std::vector<double>{30, 90, 180, 365});
    CHECK(scheme.scoring().frequency_edges == std::vector<double>{1, 2, 3, 5});
    CHECK(scheme.scoring().monetary_edges == std::vector<double>{25, 50, 100, 250});
  }
  SECTION("a name is never looked up in a directory, not even $CLVKIT_SEGMENTS_DIR") {
    // Names were once looked up in $CLVKIT_SEGMENTS_DIR, next to the executable and in the
    // source tree; an installed binary must depend on none of them, so names are built-in only.
    const EnvGuard env("CLVKIT_SEGMENTS_DIR", data_dir);
    CHECK_THROWS_AS(clvkit::load_segment_scheme("tiny"), UsageError);
    CHECK(clvkit::load_segment_scheme("rfm8").source() == "built-in:rfm8");
  }
}

TEST_CASE("every built-in scheme equals its file in models/segments", "[rfm][consistency]") {
  // The compiled-in text is generated from models/segments/*.json at build time: the list of
  // built-in names is the list of files, and each scheme parses to the same segments, labels,
  // scoring and assignment of every score cell as the file loaded by path.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(shipped_dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().stem().string());
  }
  std::sort(files.begin(), files.end());
  CHECK(clvkit::available_segment_schemes() == files);
  CHECK(files == std::vector<std::string>{"rfm11", "rfm11-thresholds", "rfm8"});

  for (const std::string& name : files) {
    CAPTURE(name);
    const std::string path = shipped_dir + "/" + name + ".json";
    const SegmentScheme built_in = clvkit::load_segment_scheme(name);
    const SegmentScheme from_file = clvkit::load_segment_scheme(path);
    CHECK(built_in.source() == "built-in:" + name);
    CHECK(from_file.source() == path);
    CHECK(built_in.name() == from_file.name());
    CHECK(built_in.description() == from_file.description());
    REQUIRE(built_in.bins() == from_file.bins());
    CHECK(built_in.scoring().method == from_file.scoring().method);
    CHECK(built_in.scoring().monetary_basis == from_file.scoring().monetary_basis);
    CHECK(built_in.scoring().recency_edges == from_file.scoring().recency_edges);
    CHECK(built_in.scoring().frequency_edges == from_file.scoring().frequency_edges);
    CHECK(built_in.scoring().monetary_edges == from_file.scoring().monetary_edges);
    REQUIRE(built_in.segments().size() == from_file.segments().size());
    for (std::size_t i = 0; i < built_in.segments().size(); ++i) {
      const clvkit::Segment& a = built_in.segments()[i];
      const clvkit::Segment& b = from_file.segments()[i];
      CAPTURE(i, b.name);
      CHECK(a.name == b.name);
      CHECK(a.description == b.description);
      CHECK(a.labels == b.labels);  // UTF-8 labels (zh) survive the embedding byte for byte
      CHECK(a.rules.size() == b.rules.size());
    }
    const int bins = built_in.bins();
    for (int r = 1; r <= bins; ++r) {
      for (int f = 1; f <= bins; ++f) {
        for (int m = 1; m <= bins; ++m) {
          CAPTURE(r, f, m);
          CHECK(built_in.segment_of(score(r, f, m)) == from_file.segment_of(score(r, f, m)));
        }
      }
    }
  }
}

TEST_CASE("an unknown scheme name is a usage error listing the available names",
          "[rfm][inputcheck]") {
  CHECK_THROWS_AS(clvkit::load_segment_scheme("rfm12"), UsageError);
  const std::string message = exception_message([] { clvkit::load_segment_scheme("rfm12"); });
  CHECK_THAT(message, Catch::Contains("unknown segment scheme 'rfm12'"));
  CHECK_THAT(message, Catch::Contains("available: rfm11, rfm11-thresholds, rfm8"));
  CHECK_THROWS_AS(clvkit::load_segment_scheme(""), UsageError);
}

TEST_CASE("a missing scheme file is an I/O error naming the path", "[rfm][inputcheck]") {
  const std::string path = data_dir + "/no-such-scheme.json";
  CHECK_THROWS_AS(clvkit::load_segment_scheme(path), IoError);
  CHECK_THROWS_WITH(clvkit::load_segment_scheme(path), Catch::Contains(path));
}

TEST_CASE("invalid scheme files are rejected with the file, segment and rule named",
          "[rfm][inputcheck]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"invalid-unknown-field.json",
       "invalid-unknown-field.json: segment 'Champions' rule 1: unknown field 'x'"},
      {"invalid-empty-range.json",
       "invalid-empty-range.json: segment 'At Risk' rule 2: range 'r' [2, 1] is empty (lo > hi)"},
      {"invalid-out-of-range.json",
       "invalid-out-of-range.json: segment 'Champions' rule 1: range 'f' [4, 6] is outside 1..5"},
      {"invalid-uncovered-cell.json", "invalid-uncovered-cell.json: no rule covers cell 1-3-2"},
      {"invalid-unreachable-segment.json",
       "invalid-unreachable-segment.json: segment 'Lost' is unreachable: every cell it covers is "
       "taken by earlier rules"},
      {"invalid-unreachable-rule.json",
       "invalid-unreachable-rule.json: segment 'Lapsed' rule 2 is unreachable"},
      {"invalid-duplicate-name.json",
       "invalid-duplicate-name.json: segment 'Champions': duplicate segment name (segments 1 and "
       "2)"},
      {"invalid-bad-json.json", "invalid-bad-json.json: invalid JSON: parse error at line 6"},
      {"invalid-duplicate-key.json",
       "invalid-duplicate-key.json: segment 'Lapsed' rule 1: duplicate field 'r'"},
      {"invalid-bad-edges.json",
       "invalid-bad-edges.json: scoring: recency_days edges must be strictly increasing, but 90 "
       "follows 180"},
      {"invalid-bins.json", "invalid-bins.json: bins is 10, but must be in 2..9"},
      {"invalid-missing-name.json", "invalid-missing-name.json: segment 2: missing field 'name'"},
  };
  for (const auto& [file, expected] : cases) {
    const std::string path = data_dir + "/" + file;
    CAPTURE(path);
    CHECK_THROWS_AS(clvkit::load_segment_scheme(path), InputError);
    CHECK_THAT(exception_message([&] { clvkit::load_segment_scheme(path); }),
               Catch::Contains(expected));
  }
  // The uncovered-cell message says how many cells are missing.
  CHECK_THAT(exception_message(
                 [&] { clvkit::load_segment_scheme(data_dir + "/invalid-uncovered-cell.json"); }),
             Catch::Contains("1 of 27 cells uncovered"));
}

TEST_CASE("scheme text is checked field by field", "[rfm][inputcheck]") {
  // A valid two-bin scheme with one placeholder replaced per case.
  const auto scheme_text = [](const std::string& top, const std::string& scoring,
                              const std::string& segment) {
    return "{\"name\": \"t\", \"bins\": 2, " + top + "\"scoring\": " + scoring +
           ", \"segments\": [" + segment +
           "{\"name\": \"Rest\", \"description\": \"Everyone else.\", \"rules\": [{}]}]}";
  };
  const std::string quantile = "{\"method\": \"quantile\"}";
  CHECK_NOTHROW(clvkit::parse_segment_scheme(scheme_text("", quantile, ""), "t.json"));
  CHECK_NOTHROW(clvkit::parse_segment_scheme(
      scheme_text("\"comment\": \"free text\", ", quantile, ""), "t.json"));

  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases{
      {"\"colour\": 1, ", quantile, "", "t.json: unknown field 'colour'"},
      {"\"comment\": 5, ", quantile, "", "t.json: field 'comment' must be a string"},
      {"\"name\": \"u\", ", quantile, "", "t.json: duplicate field 'name'"},
      {"", "{\"method\": \"quantile\", \"method\": \"threshold\"}", "",
       "t.json: scoring: duplicate field 'method'"},
      {"", quantile,
       "{\"name\": \"A\", \"description\": \"x\", \"labels\": {\"es\": \"a\", \"es\": \"b\"}, "
       "\"rules\": [{}]}, ",
       "t.json: segment 'A' labels: duplicate field 'es'"},
      {"", "{\"method\": \"quantile\", \"edges\": []}", "",
       "t.json: scoring: unknown field 'edges'"},
      {"", "{\"method\": \"median\"}", "",
       "t.json: scoring: method is 'median', but must be 'quantile' or 'threshold'"},
      {"", "{\"method\": \"quantile\", \"monetary_basis\": \"max\"}", "",
       "monetary_basis is 'max', but must be 'total' or 'average'"},
      {"", "{\"method\": \"quantile\", \"recency_days\": [30]}", "",
       "t.json: scoring: field 'recency_days' is used by method 'threshold' only"},
      {"", "{\"method\": \"threshold\", \"recency_days\": [30], \"purchase_days\": [1]}", "",
       "t.json: scoring: missing field 'monetary'"},
      {"",
       "{\"method\": \"threshold\", \"recency_days\": [\"30\"], \"purchase_days\": [1], "
       "\"monetary\": [5]}",
       "", "field 'recency_days' must be an array of numbers, but holds \"30\""},
      {"", quantile, "{\"name\": \"A\", \"rules\": [{}]}, ",
       "t.json: segment 'A': missing field 'description'"},
      {"", quantile, "{\"name\": \"A\", \"description\": \"\", \"rules\": [{}]}, ",
       "t.json: segment 'A': description is empty"},
      {"", quantile, "{\"name\": \"\", \"description\": \"x\", \"rules\": [{}]}, ",
       "t.json: segment 1: name is empty"},
      {"", quantile, "{\"name\": \"A\", \"description\": \"x\", \"rules\": []}, ",
       "t.json: segment 'A': no rules"},
      {"", quantile, "{\"name\": \"A\", \"description\": \"x\", \"rules\": [{\"r\": 2}]}, ",
       "t.json: segment 'A' rule 1: field 'r' must be an inclusive range [lo, hi], not 2"},
      {"", quantile, "{\"name\": \"A\", \"description\": \"x\", \"rules\": [{\"r\": [1.5, 2]}]}, ",
       "t.json: segment 'A' rule 1: field 'r' bound must be an integer, not '1.5'"},
      {"", quantile,
       "{\"name\": \"A\", \"description\": \"x\", \"labels\": {\"es\": 3}, \"rules\": [{}]}, ",
       "t.json: segment 'A': label 'es' must be a non-empty string"},
      {"", quantile, "[1], ", "t.json: segment 1: must be a JSON object, not array"},
      {"", quantile, "{\"name\": 7}, ",
       "t.json: segment 1: field 'name' must be a string, not number"},
  };
  for (const auto& [top, scoring, segment, expected] : cases) {
    const std::string text = scheme_text(top, scoring, segment);
    CAPTURE(text);
    CHECK_THROWS_AS(clvkit::parse_segment_scheme(text, "t.json"), InputError);
    CHECK_THAT(exception_message([&] { clvkit::parse_segment_scheme(text, "t.json"); }),
               Catch::Contains(expected));
  }
  CHECK_THROWS_WITH(clvkit::parse_segment_scheme("[]", "t.json"),
                    Catch::Contains("t.json: must be a JSON object, not array"));
  CHECK_THROWS_WITH(clvkit::parse_segment_scheme("{\"name\": \"t\", \"bins\": 5.0}", "t.json"),
                    Catch::Contains("t.json: field 'bins' must be an integer, not '5.0'"));
  CHECK_THROWS_WITH(clvkit::parse_segment_scheme("{\"name\": \"t\", \"bins\": 2}", "t.json"),
                    Catch::Contains("t.json: missing field 'scoring'"));
}

TEST_CASE("schemes built in code are validated like files", "[rfm][inputcheck]") {
  clvkit::Segment all{"All", "Everyone.", {}, {clvkit::SegmentRule{}}, {}};
  CHECK_NOTHROW(SegmentScheme("one", "", 3, {}, {all}));
  CHECK_THROWS_WITH(SegmentScheme("one", "", 3, {}, {}),
                    Catch::Contains("segment scheme: no segments"));
  clvkit::Segment top{
      "Top", "R 3.", {}, {clvkit::SegmentRule{clvkit::ScoreRange{3, 3}, {}, {}}}, {}};
  CHECK_THROWS_WITH(SegmentScheme("two", "", 3, {}, {top}, "mine"),
                    Catch::Contains("mine: no rule covers cell 1-1-1"));
  CHECK_THROWS_WITH(SegmentScheme("three", "", 3, {}, {all, top}, "mine"),
                    Catch::Contains("mine: segment 'Top' is unreachable"));
  CHECK_NOTHROW(SegmentScheme("four", "", 3, {}, {top, all}));
}

TEST_CASE("segment_of rejects scores outside the scheme's bins", "[rfm][inputcheck]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  CHECK_THROWS_AS(scheme.segment_of(score(6, 1, 1)), UsageError);
  CHECK_THROWS_WITH(scheme.segment_of(score(1, 0, 1)),
                    Catch::Contains("score 1-0-1 is outside 1..5"));
}

TEST_CASE("scoring with a scheme refuses a different number of bins", "[rfm][inputcheck]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  const std::vector<clvkit::CustomerSummary> customers{customer("a", 1, 1, 1.0),
                                                       customer("b", 2, 2, 2.0)};
  CHECK_NOTHROW(clvkit::score_customers(customers, scheme, 0));
  CHECK_NOTHROW(clvkit::score_customers(customers, scheme, 5));
  CHECK_THROWS_AS(clvkit::score_customers(customers, scheme, 4), UsageError);
  CHECK_THROWS_WITH(clvkit::score_customers(customers, scheme, 4),
                    Catch::Contains("segment scheme 'rfm11' is defined for 5 bins, but 4 were "
                                    "requested"));
}

TEST_CASE("the READMEs show the current rule tables and maps", "[rfm][consistency]") {
  // The generated blocks are rebuilt from the JSON files; run the test with
  // CLVKIT_UPDATE_DOCS=1 to rewrite them after editing a scheme. models/segments/README.md
  // holds both schemes, the project README the rfm11 map.
  for (const std::string& path :
       {shipped_dir + "/README.md", std::string(CLVKIT_TEST_SOURCE_DIR) + "/README.md"}) {
    CAPTURE(path);
    std::string text;
    {
      std::ifstream in(path, std::ios::binary);
      REQUIRE(in);
      std::ostringstream content;
      content << in.rdbuf();
      text = content.str();
    }
    std::string updated = text;
    int blocks = 0;
    for (const char* name : {"rfm11", "rfm8"}) {
      CAPTURE(name);
      const std::string begin = std::string("<!-- BEGIN GENERATED ") + name + " -->\n";
      const std::string end = std::string("<!-- END GENERATED ") + name + " -->";
      const auto b = updated.find(begin);
      if (b == std::string::npos) continue;
      const auto e = updated.find(end, b);
      REQUIRE(e != std::string::npos);
      updated.replace(b + begin.size(), e - b - begin.size(),
                      render_scheme_markdown(clvkit::load_segment_scheme(name)));
      ++blocks;
    }
    REQUIRE(blocks >= 1);
    const char* update = std::getenv("CLVKIT_UPDATE_DOCS");
    if (update != nullptr && std::string(update) == "1") {
      if (updated != text) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << updated;
        REQUIRE(out);
        WARN("rewrote " << path);
      }
      continue;
    }
    if (updated != text) {
      // Show the first differing line rather than the whole file.
      std::istringstream want(updated);
      std::istringstream have(text);
      std::string want_line;
      std::string have_line;
      int line = 0;
      while (true) {
        ++line;
        const bool more_want = static_cast<bool>(std::getline(want, want_line));
        const bool more_have = static_cast<bool>(std::getline(have, have_line));
        if (want_line != have_line || more_want != more_have) break;
      }
      INFO(path << " is stale from line " << line
                << "; rerun this test with CLVKIT_UPDATE_DOCS=1 "
                   "to regenerate it");
      CHECK(have_line == want_line);
    }
  }
}

TEST_CASE("segment_labels shows a scheme's segments in a language, by name where it has no label",
          "[rfm][language]") {
  const SegmentScheme rfm11 = clvkit::load_segment_scheme("rfm11");
  const clvkit::SegmentLabels pl = clvkit::segment_labels(rfm11, "pl");
  REQUIRE(pl.names.size() == rfm11.segments().size());
  CHECK(pl.names[0] == "Mistrzowie");
  CHECK(pl.names[8] == "Zagrożeni odejściem");  // At Risk
  CHECK(pl.descriptions[0] == "Kupili niedawno, kupują często i wydają najwięcej.");
  CHECK(pl.unlabelled.empty());
  const clvkit::SegmentLabels en = clvkit::segment_labels(rfm11, "en");
  CHECK(en.names[0] == "Champions");
  CHECK(en.descriptions[0] == rfm11.segments()[0].description);
  // Every built-in scheme has a label and a description in every language of the catalogues.
  for (const std::string& name : clvkit::available_segment_schemes()) {
    const SegmentScheme scheme = clvkit::load_segment_scheme(name);
    for (const char* code : {"es", "pl", "zh"}) {
      CAPTURE(name, code);
      CHECK(clvkit::segment_labels(scheme, code).unlabelled.empty());
      for (const clvkit::Segment& s : scheme.segments()) {
        CAPTURE(s.name);
        CHECK(s.descriptions.count(code) == 1);
      }
    }
  }
  // A segment without a label is shown by its name and listed.
  clvkit::Segment all{"All", "Everyone.", {{"es", "Todos"}}, {clvkit::SegmentRule{}}, {}};
  const SegmentScheme one("one", "", 3, {}, {all});
  CHECK(clvkit::segment_labels(one, "es").names[0] == "Todos");
  const clvkit::SegmentLabels zh = clvkit::segment_labels(one, "zh");
  CHECK(zh.names[0] == "All");
  CHECK(zh.unlabelled == std::vector<std::string>{"All"});
  CHECK_THROWS_WITH(clvkit::parse_segment_scheme(
                        R"({"name": "t", "description": "d", "bins": 2,
              "scoring": {"method": "quantile", "monetary_basis": "total"},
              "segments": [{"name": "A", "description": "a", "descriptions": {"es": ""},
                            "rules": [{}]}]})",
                        "t.json"),
                    Catch::Contains("description 'es' must be a non-empty string"));
}
