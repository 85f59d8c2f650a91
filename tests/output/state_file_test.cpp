// The state file: what is written is read back whole (histories record by record, placements,
// settings, models), and the daily update through the library equals analyze() over every row.

#include "clvkit/output/state_file.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "../support/customer_bases.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

using test::log_csv;
using test::LogRow;
using test::TempDir;

std::vector<LogRow> rows_between(int first_day, int last_day, int customers, unsigned seed) {
  std::vector<LogRow> rows;
  unsigned state = seed;
  const auto next = [&state] { return state = state * 1103515245u + 12345u; };
  const Day day0 = days_from_civil(2023, 1, 1);
  for (int day = first_day; day <= last_day; ++day) {
    for (int k = 0; k < 12; ++k) {
      const long long cents = static_cast<long long>(next() % 9000) - 500;
      rows.push_back(LogRow{std::to_string(next() % customers + 1), day0 + day, cents});
    }
  }
  return rows;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST_CASE("a state file reads back what was written, and updates equal analyze() over every row",
          "[state_file]") {
  TempDir dir;
  const std::vector<LogRow> first = rows_between(0, 200, 300, 7);
  write(dir.file("first.csv"), log_csv(first));
  AnalysisOptions options;
  options.segmentation.scheme = "rfm8";
  options.model.value.margin = 0.3;
  options.model.fit.max_starts = 4;
  options.threads = 2;
  const StatefulAnalysis start = analyze_keeping_state(dir.file("first.csv"), options);
  const nlohmann::ordered_json models = state_model_document(start.state, *start.analysis.dropout);
  write_state_file(dir.file("s.bin"), start.state, models);
  const StateFile read = read_state_file(dir.file("s.bin"));
  CHECK(read.model_document == models);
  const AnalysisState& a = start.state;
  const AnalysisState& b = read.state;
  CHECK(b.segmentation.scheme == "rfm8");
  CHECK(b.model.value.margin == 0.3);
  CHECK(b.model.fit.max_starts == 4);
  CHECK(b.logs.size() == 1);
  CHECK(b.logs[0].digest->digest == a.logs[0].digest->digest);
  REQUIRE(b.placements.size() == a.placements.size());
  for (std::size_t i = 0; i < a.placements.size(); ++i) {
    CHECK(b.placements[i].segment == a.placements[i].segment);
    CHECK(b.placements[i].score == a.placements[i].score);
  }
  std::vector<CustomerHistory> written, back;
  a.histories.for_each([&](const CustomerHistory& h) { written.push_back(h); });
  b.histories.for_each([&](const CustomerHistory& h) { back.push_back(h); });
  CHECK(written == back);
  CHECK(b.histories.as_of == a.histories.as_of);
  CHECK(b.histories.rows.rows_read == a.histories.rows.rows_read);
  REQUIRE(b.models);
  CHECK(b.models->purchase.model->parameters() == a.models->purchase.model->parameters());

  // Two days on, with late rows, refitted: every customer as analyze() over all rows gives it.
  std::vector<LogRow> all = first;
  AnalysisState state = read.state;
  for (int day = 201; day <= 202; ++day) {
    std::vector<LogRow> rows = rows_between(day, day, 300, static_cast<unsigned>(day));
    const std::vector<LogRow> late = rows_between(day - 50, day - 48, 300, 99u + day);
    rows.insert(rows.end(), late.begin(), late.end());
    all.insert(all.end(), rows.begin(), rows.end());
    const std::string path = dir.file("day" + std::to_string(day) + ".csv");
    write(path, log_csv(rows));
    UpdateOptions update;
    update.refit = true;
    update.threads = 2;
    const DailyUpdate next = update_analysis(state, path, update);
    CHECK(next.late_rows == static_cast<std::int64_t>(late.size()));
    write(dir.file("all.csv"), log_csv(all));
    const CustomerAnalysis whole = analyze(dir.file("all.csv"), options);
    test::require_same_base(next.analysis.segmented.base, whole.segmented.base);
    CHECK(next.analysis.scores() == whole.scores());
    CHECK(next.analysis.segmented.segment == whole.segmented.segment);
    REQUIRE(next.analysis.predictions.size() == whole.predictions.size());
    for (std::size_t i = 0; i < whole.predictions.size(); ++i) {
      CHECK(next.analysis.predictions[i].clv == whole.predictions[i].clv);
      CHECK(next.analysis.predictions[i].churn_priority == whole.predictions[i].churn_priority);
    }
    std::int64_t counted = 0;
    for (const std::int64_t n : next.transition.counts) counted += n;
    CHECK(counted == static_cast<std::int64_t>(whole.size()));
    state = next.state;
  }
}

TEST_CASE("a state file with a wrong part is refused whole", "[state_file]") {
  TempDir dir;
  write(dir.file("log.csv"), log_csv(rows_between(0, 30, 50, 3)));
  AnalysisOptions options;
  options.fit_models = false;
  const StatefulAnalysis start = analyze_keeping_state(dir.file("log.csv"), options);
  // A placement outside the scheme, written with a valid checksum: refused by the update.
  AnalysisState wrong = start.state;
  wrong.placements[0].segment = 99;
  write_state_file(dir.file("s.bin"), wrong, nullptr);
  const StateFile read = read_state_file(dir.file("s.bin"));
  write(dir.file("day.csv"), log_csv(rows_between(31, 31, 50, 4)));
  CHECK_THROWS_AS(update_analysis(read.state, dir.file("day.csv"), {}), InputError);
  // --refit without models is a usage error.
  UpdateOptions refit;
  refit.refit = true;
  CHECK_THROWS_AS(update_analysis(start.state, dir.file("day.csv"), refit), UsageError);
}

}  // namespace
}  // namespace clvkit
