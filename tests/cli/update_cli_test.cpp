// clvkit run --state and clvkit update from the command line: a week of daily updates (with late
// rows) gives the records of a full run over every row, byte for byte; the moves are the
// segment changes between consecutive records;
// the same bytes for any thread count; a damaged state file is refused whole, with exit 2.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/schemes.hpp"
#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using clvkit::test::write_text;
using nlohmann::json;

const char* const kDays[] = {"2025-12-25", "2025-12-26", "2025-12-27", "2025-12-28",
                             "2025-12-29", "2025-12-30", "2025-12-31"};
constexpr int kDayCount = 7;

/// A simulated log cut into the history before the first update day (less every 40th row, held
/// back) and one file per update day: that day's rows, then the held-back rows of one residue
/// (late data, dated weeks or months before).
struct DailyLogs {
  std::string header;
  std::vector<std::string> initial;
  std::vector<std::vector<std::string>> days = std::vector<std::vector<std::string>>(kDayCount);
};

DailyLogs simulated_daily_logs(const TempDir& dir) {
  REQUIRE(run_cli("simulate --customers 6000 --seed 11 -o " + dir.file("sim.csv"), dir).exit_code ==
          0);
  std::stringstream in(read_text(dir.file("sim.csv")));
  DailyLogs logs;
  std::getline(in, logs.header);
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line); ++line_number) {
    const std::string date = line.substr(line.find(',') + 1, 10);
    int day = -1;
    for (int k = 0; k < kDayCount; ++k) {
      if (date == kDays[k]) day = k;
    }
    if (day >= 0) {
      logs.days[static_cast<std::size_t>(day)].push_back(line);
    } else if (line_number % 40 == 0) {
      logs.days[(line_number / 40) % kDayCount].push_back(line);
    } else {
      logs.initial.push_back(line);
    }
  }
  return logs;
}

void write_log(const std::string& path, const std::string& header,
               const std::vector<std::string>& lines) {
  std::string text = header + "\n";
  for (const std::string& line : lines) text += line + "\n";
  write_text(path, text);
}

std::string day_file(const TempDir& dir, int k) {
  return dir.file("day" + std::to_string(k) + ".csv");
}

// The log of every row up to day k: the initial part and the day files 0..k.
std::string whole_log_to(const TempDir& dir, const DailyLogs& logs, int k) {
  std::vector<std::string> lines = logs.initial;
  for (int d = 0; d <= k; ++d) {
    lines.insert(lines.end(), logs.days[static_cast<std::size_t>(d)].begin(),
                 logs.days[static_cast<std::size_t>(d)].end());
  }
  const std::string path = dir.file("whole.csv");
  write_log(path, logs.header, lines);
  return path;
}

using Records = clvkit::test::RecordsById;
using clvkit::test::split_csv_line;

Records records_by_id(const std::string& text) { return clvkit::test::read_csv_by_id(text); }

}  // namespace

TEST_CASE(
    "update: a week of daily updates with late rows gives a full run's records, byte for "
    "byte, for any thread count",
    "[cli][update][consistency]") {
  TempDir dir;
  const DailyLogs logs = simulated_daily_logs(dir);
  write_log(dir.file("initial.csv"), logs.header, logs.initial);
  for (int k = 0; k < kDayCount; ++k) write_log(day_file(dir, k), logs.header, logs.days[k]);
  // RFM only and with refitted models: the records of a full run.
  for (const std::string model : {"--no-model", ""}) {
    CAPTURE(model);
    REQUIRE(run_cli("run " + dir.file("initial.csv") + " --as-of 2025-12-24 -q " + model +
                        " --state " + dir.file("s1.bin") + " -o " + dir.file("r0.json"),
                    dir)
                .exit_code == 0);
    REQUIRE(run_cli("run " + dir.file("initial.csv") + " --as-of 2025-12-24 -q --threads 1 " +
                        model + " --state " + dir.file("s2.bin") + " -o " + dir.file("r0.json"),
                    dir)
                .exit_code == 0);
    CHECK(read_text(dir.file("s1.bin")) == read_text(dir.file("s2.bin")));
    const std::string refit = model.empty() ? " --refit" : "";
    REQUIRE(run_cli("run " + dir.file("initial.csv") + " --as-of 2025-12-24 -q --format csv " +
                        model + " -o " + dir.file("r0.csv"),
                    dir)
                .exit_code == 0);
    Records previous = records_by_id(read_text(dir.file("r0.csv")));
    for (int k = 0; k < kDayCount; ++k) {
      CAPTURE(k);
      const auto update = [&](const std::string& state, const std::string& threads,
                              const std::string& out, const std::string& moves) {
        return run_cli("update " + state + " " + day_file(dir, k) + refit + " --format csv" +
                           threads + " -o " + out + " --moves " + moves,
                       dir);
      };
      const auto one =
          update(dir.file("s1.bin"), " --threads 2", dir.file("u1.csv"), dir.file("m1.csv"));
      REQUIRE(one.exit_code == 0);
      CHECK(one.out.find(std::string("Update ") + (k == 0 ? "2025-12-24" : kDays[k - 1]) + " -> " +
                         kDays[k]) == 0);
      REQUIRE(update(dir.file("s2.bin"), " --threads 1", dir.file("u2.csv"), dir.file("m2.csv"))
                  .exit_code == 0);
      CHECK(read_text(dir.file("u1.csv")) == read_text(dir.file("u2.csv")));
      CHECK(read_text(dir.file("m1.csv")) == read_text(dir.file("m2.csv")));
      CHECK(read_text(dir.file("s1.bin")) == read_text(dir.file("s2.bin")));
      const std::string whole = whole_log_to(dir, logs, k);
      REQUIRE(run_cli("run " + whole + " --as-of " + kDays[k] + " -q --format csv " + model +
                          " -o " + dir.file("full.csv"),
                      dir)
                  .exit_code == 0);
      REQUIRE(read_text(dir.file("u1.csv")) == read_text(dir.file("full.csv")));
      const json meta = json::parse(read_text(dir.file("u1.csv.meta.json")));
      CHECK(meta["update"]["as_of"] == kDays[k]);
      CHECK(meta["update"]["rows"]["late"].get<int>() > 0);
      const json full_meta = json::parse(read_text(dir.file("full.csv.meta.json")));
      CHECK(meta["input"]["rows"] == full_meta["input"]["rows"]);
      // The moves are the customers whose segment differs from the previous records (what the
      // state said the day before: late rows dated then do not rewrite it), with their scores
      // then and now and, with models, today's values.
      const Records now = records_by_id(read_text(dir.file("u1.csv")));
      std::set<std::vector<std::string>> expected;
      for (const auto& [id, after] : now) {
        const auto found = previous.find(id);
        if (found == previous.end() || found->second.at("segment") == after.at("segment")) continue;
        const auto& was = found->second;
        std::vector<std::string> move{id,
                                      was.at("segment"),
                                      after.at("segment"),
                                      was.at("r_score"),
                                      was.at("f_score"),
                                      was.at("m_score"),
                                      after.at("r_score"),
                                      after.at("f_score"),
                                      after.at("m_score")};
        if (model.empty()) {
          for (const char* field : {"p_alive", "clv", "value_at_risk"}) {
            move.push_back(std::to_string(std::stod(after.at(field))).substr(0, 7));
          }
        }
        expected.insert(move);
      }
      std::set<std::vector<std::string>> listed;
      std::stringstream moves(read_text(dir.file("m1.csv")));
      std::string line;
      std::getline(moves, line);
      while (std::getline(moves, line)) {
        const std::vector<std::string> f = split_csv_line(line);
        REQUIRE(f.size() == (model.empty() ? 14u : 11u));
        CHECK(f[3] == (k == 0 ? std::string("2025-12-24") : std::string(kDays[k - 1])));
        CHECK(f[4] == kDays[k]);
        std::vector<std::string> move{f[0], f[1], f[2], f[5], f[6], f[7], f[8], f[9], f[10]};
        if (model.empty()) {
          for (std::size_t c = 11; c < 14; ++c) {
            move.push_back(std::to_string(std::stod(f[c])).substr(0, 7));
          }
        }
        listed.insert(move);
      }
      CHECK(listed.size() > 0);
      CHECK(listed == expected);
      previous = now;
    }
  }
}

TEST_CASE(
    "update: --changed-only writes the customers with new rows or a new segment, as the "
    "full records have them",
    "[cli][update]") {
  TempDir dir;
  const DailyLogs logs = simulated_daily_logs(dir);
  write_log(dir.file("initial.csv"), logs.header, logs.initial);
  write_log(day_file(dir, 0), logs.header, logs.days[0]);
  REQUIRE(run_cli("run " + dir.file("initial.csv") + " --as-of 2025-12-24 -q --state " +
                      dir.file("s.bin") + " -o " + dir.file("r0.csv") + " --format csv",
                  dir)
              .exit_code == 0);
  REQUIRE(run_cli("update " + dir.file("s.bin") + " " + day_file(dir, 0) + " --state-out " +
                      dir.file("s-all.bin") + " --format ndjson -o " + dir.file("all.ndjson"),
                  dir)
              .exit_code == 0);
  REQUIRE(run_cli("update " + dir.file("s.bin") + " " + day_file(dir, 0) +
                      " --changed-only --format ndjson -o " + dir.file("changed.ndjson"),
                  dir)
              .exit_code == 0);
  // Both updates wrote the same state (one beside, one over the original).
  CHECK(read_text(dir.file("s.bin")) == read_text(dir.file("s-all.bin")));
  std::map<std::string, std::string> all;
  std::stringstream all_lines(read_text(dir.file("all.ndjson")));
  for (std::string line; std::getline(all_lines, line);) {
    all[json::parse(line)["customer_id"].get<std::string>()] = line;
  }
  std::map<std::string, std::string> before;
  {
    std::stringstream lines(read_text(dir.file("r0.csv")));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      const std::size_t comma = line.find(',');
      before[line.substr(0, comma)] = line;
    }
  }
  std::set<std::string> touched;
  for (const std::string& line : logs.days[0]) touched.insert(line.substr(0, line.find(',')));
  std::stringstream changed_lines(read_text(dir.file("changed.ndjson")));
  std::size_t changed = 0;
  std::vector<std::size_t> priorities;
  for (std::string line; std::getline(changed_lines, line); ++changed) {
    const json record = json::parse(line);
    const std::string id = record["customer_id"];
    CAPTURE(id);
    REQUIRE(all.count(id) == 1);
    // The same record but for churn_priority, which ranks the written customers only.
    json full = json::parse(all[id]);
    priorities.push_back(record["churn_priority"].get<std::size_t>());
    full.erase("churn_priority");
    json same = record;
    same.erase("churn_priority");
    CHECK(same == full);
  }
  std::size_t expected = 0;
  for (const auto& [id, line] : all) {
    const std::string segment = json::parse(line)["segment"];
    const bool is_new = before.count(id) == 0;
    const bool moved = !is_new && before[id].find("," + segment + ",") == std::string::npos;
    expected += touched.count(id) > 0 || is_new || moved ? 1 : 0;
  }
  CHECK(changed == expected);
  std::sort(priorities.begin(), priorities.end());
  for (std::size_t k = 0; k < priorities.size(); ++k) REQUIRE(priorities[k] == k + 1);
  CHECK(changed < all.size());
  const json meta = json::parse(read_text(dir.file("changed.ndjson.meta.json")));
  CHECK(meta["update"]["customers"]["written"] == changed);
  CHECK(meta["update"]["customers"]["total"] == all.size());
}

TEST_CASE("update: a damaged state file is refused with exit 2 and nothing is written",
          "[cli][update][hostile]") {
  TempDir dir;
  REQUIRE(run_cli("run data/cdnow.csv --as-of 1998-05-31 -q --no-model --state " +
                      dir.file("s.bin") + " -o " + dir.file("r.json"),
                  dir)
              .exit_code == 0);
  write_text(dir.file("day.csv"), "customer_id,date,amount\n1,1998-06-01,10.00\n");
  const std::string good = read_text(dir.file("s.bin"));
  REQUIRE(good.size() > 1000);
  struct Damage {
    const char* name;
    std::string bytes;
    const char* message;
  };
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  std::string version = good;
  version[8] = 2;
  std::string longer = good + "x";
  const Damage damages[] = {
      {"a flipped bit", flipped, "checksum does not match"},
      {"truncated", good.substr(0, good.size() - 100), "truncated"},
      {"cut in its header", good.substr(0, 20), "truncated"},
      {"longer", longer, "longer than its header says"},
      {"another version", version, "format version 2, but this clvkit reads version 1"},
      {"not a state file", "customer_id,date,amount\n", "not a clvkit state file"},
      {"empty", "", "not a clvkit state file"},
  };
  for (const Damage& damage : damages) {
    CAPTURE(damage.name);
    write_text(dir.file("bad.bin"), damage.bytes);
    const auto result =
        run_cli("update " + dir.file("bad.bin") + " " + dir.file("day.csv") + " -o " +
                    dir.file("out.json") + " --moves " + dir.file("moves.csv"),
                dir);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(damage.message) != std::string::npos);
    CHECK(read_text(dir.file("bad.bin")) == damage.bytes);
    CHECK_FALSE(std::filesystem::exists(dir.file("out.json")));
    CHECK_FALSE(std::filesystem::exists(dir.file("moves.csv")));
  }
  // Only the files the test wrote: no temporary file is left behind.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file(""))) {
    const std::string name = entry.path().filename().string();
    CAPTURE(name);
    CHECK(name.find(".tmp-") == std::string::npos);
    ++files;
  }
  CHECK(files > 0);
}

TEST_CASE("update: the same log twice, an earlier day and a bad row are refused", "[cli][update]") {
  TempDir dir;
  REQUIRE(run_cli("run data/cdnow.csv --as-of 1998-05-31 -q --no-model --state " +
                      dir.file("s.bin") + " -o " + dir.file("r.json"),
                  dir)
              .exit_code == 0);
  write_text(dir.file("day.csv"), "customer_id,date,amount\n1,1998-06-01,10.00\n");
  REQUIRE(run_cli("update " + dir.file("s.bin") + " " + dir.file("day.csv"), dir).exit_code == 0);
  const std::string state = read_text(dir.file("s.bin"));
  const auto again = run_cli("update " + dir.file("s.bin") + " " + dir.file("day.csv"), dir);
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("applied already") != std::string::npos);
  CHECK(read_text(dir.file("s.bin")) == state);
  CHECK(run_cli("update " + dir.file("s.bin") + " " + dir.file("day.csv") + " --allow-reapply", dir)
            .exit_code == 0);
  const auto earlier = run_cli("update " + dir.file("s.bin") + " " + dir.file("day.csv") +
                                   " --allow-reapply --as-of 1998-05-01",
                               dir);
  CHECK(earlier.exit_code == 1);
  CHECK(earlier.err.find("before the state's as-of day") != std::string::npos);
  write_text(dir.file("bad.csv"), "customer_id,date,amount\n1,1998-06-02,ten\n");
  const auto bad = run_cli(
      "update " + dir.file("s.bin") + " " + dir.file("bad.csv") + " --moves " + dir.file("m.csv"),
      dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.csv:2:3:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("m.csv")));
  // A day without sales is fine: it moves the as-of day on.
  write_text(dir.file("none.csv"), "customer_id,date,amount\n");
  const auto none = run_cli("update " + dir.file("s.bin") + " " + dir.file("none.csv") +
                                " --as-of 1998-06-10 --moves " + dir.file("m.csv"),
                            dir);
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("-> 1998-06-10") != std::string::npos);
}

TEST_CASE(
    "report --states draws how segments changed over a daily update's days, as --snapshots "
    "on those days does",
    "[cli][update][report]") {
  TempDir dir;
  REQUIRE(run_cli("run data/cdnow.csv --as-of 1998-04-30 -q --no-model --state " +
                      dir.file("s1.bin") + " -o " + dir.file("r.json"),
                  dir)
              .exit_code == 0);
  write_text(dir.file("may.csv"),
             "customer_id,date,amount\n1,1998-05-10,10.00\n2,1998-05-31,5.00\n");
  REQUIRE(run_cli("update " + dir.file("s1.bin") + " " + dir.file("may.csv") + " --state-out " +
                      dir.file("s2.bin") + " --moves " + dir.file("m.csv"),
                  dir)
              .exit_code == 0);
  const auto by_states =
      run_cli("report data/cdnow.csv --forecast-draws 50 --states " + dir.file("s1.bin") + "," +
                  dir.file("s2.bin") + " -q -o " + dir.file("a.html"),
              dir);
  INFO(by_states.err);
  REQUIRE(by_states.exit_code == 0);
  REQUIRE(
      run_cli("report data/cdnow.csv --forecast-draws 50 --snapshots 1998-04-30,1998-05-31 -q -o " +
                  dir.file("b.html"),
              dir)
          .exit_code == 0);
  const std::string html = read_text(dir.file("a.html"));
  CHECK(html == read_text(dir.file("b.html")));
  CHECK(html.find("How segments change") != std::string::npos);
  CHECK(html.find("1998-05-31") != std::string::npos);
  const auto both = run_cli(
      "report data/cdnow.csv --every month --snapshots 1998-04-30 -o " + dir.file("c.html"), dir);
  CHECK(both.exit_code == 1);
}

TEST_CASE(
    "update --upgrade writes the next purchases of a full run --upgrade, byte for byte, and "
    "with --changed-only the matching records",
    "[cli][update][consistency]") {
  TempDir dir;
  const DailyLogs logs = simulated_daily_logs(dir);
  write_log(dir.file("initial.csv"), logs.header, logs.initial);
  for (int k = 0; k < 2; ++k) write_log(day_file(dir, k), logs.header, logs.days[k]);
  // RFM only and with refitted models (a full run's models); the cap given through.
  for (const std::string model : {"--no-model", ""}) {
    CAPTURE(model);
    const std::string refit = model.empty() ? " --refit" : "";
    REQUIRE(run_cli("run " + dir.file("initial.csv") + " --as-of 2025-12-24 -q " + model +
                        " --state " + dir.file("s.bin") + " -o " + dir.file("r0.json"),
                    dir)
                .exit_code == 0);
    const auto updated = run_cli("update " + dir.file("s.bin") + " " + day_file(dir, 0) + refit +
                                     " --upgrade --upgrade-cap 5 --format csv -o " +
                                     dir.file("u.csv") + " --moves " + dir.file("m.csv"),
                                 dir);
    INFO(updated.err);
    REQUIRE(updated.exit_code == 0);
    REQUIRE(run_cli("run " + whole_log_to(dir, logs, 0) + " --as-of " + kDays[0] + " -q " + model +
                        " --upgrade --upgrade-cap 5 --format csv -o " + dir.file("full.csv"),
                    dir)
                .exit_code == 0);
    const std::string records = read_text(dir.file("u.csv"));
    REQUIRE(records == read_text(dir.file("full.csv")));
    CHECK(records.find(",purchases_to_upgrade,upgrade_segment") != std::string::npos);
    CHECK((records.find("upgrade_value") != std::string::npos) == model.empty());
    const json meta = json::parse(read_text(dir.file("u.csv.meta.json")));
    const json full_meta = json::parse(read_text(dir.file("full.csv.meta.json")));
    CHECK(meta["upgrade"] == full_meta["upgrade"]);
    CHECK(meta["upgrade"]["max_purchases"] == 5);

    // The next day, only the changed customers: each written record is the full run's line
    // (but churn_priority, which ranks the written customers only).
    const auto changed = run_cli("update " + dir.file("s.bin") + " " + day_file(dir, 1) + refit +
                                     " --upgrade --upgrade-cap 5 --changed-only --format csv -o " +
                                     dir.file("c.csv") + " --moves " + dir.file("m.csv"),
                                 dir);
    INFO(changed.err);
    REQUIRE(changed.exit_code == 0);
    REQUIRE(run_cli("run " + whole_log_to(dir, logs, 1) + " --as-of " + kDays[1] + " -q " + model +
                        " --upgrade --upgrade-cap 5 --format csv -o " + dir.file("full.csv"),
                    dir)
                .exit_code == 0);
    const Records all = records_by_id(read_text(dir.file("full.csv")));
    const Records written = records_by_id(read_text(dir.file("c.csv")));
    REQUIRE(written.size() > 0);
    CHECK(written.size() < all.size());
    std::size_t upgradable = 0;
    for (const auto& [id, record] : written) {
      CAPTURE(id);
      REQUIRE(all.count(id) == 1);
      auto same = record;
      auto full = all.at(id);
      same.erase("churn_priority");
      full.erase("churn_priority");
      CHECK(same == full);
      upgradable += record.at("purchases_to_upgrade").empty() ? 0 : 1;
    }
    CHECK(upgradable > 0);
    const json changed_meta = json::parse(read_text(dir.file("c.csv.meta.json")));
    const json full_day_meta = json::parse(read_text(dir.file("full.csv.meta.json")));
    CHECK(changed_meta["upgrade"]["held_edges"] == full_day_meta["upgrade"]["held_edges"]);
  }
}

TEST_CASE("update --upgrade refuses a scheme without a value order and records not written",
          "[cli][update][inputcheck]") {
  TempDir dir;
  const std::string scheme = dir.file("plain.json");
  write_text(scheme, std::string(clvkit::test::kSchemeWithoutValueOrder));
  REQUIRE(run_cli("run data/cdnow.csv --as-of 1998-04-30 -q --no-model --segments " + scheme +
                      " --state " + dir.file("s.bin") + " -o " + dir.file("r.json"),
                  dir)
              .exit_code == 0);
  const std::string before = read_text(dir.file("s.bin"));
  write_text(dir.file("may.csv"), "customer_id,date,amount\n1,1998-05-10,10.00\n");
  auto result = run_cli("update " + dir.file("s.bin") + " " + dir.file("may.csv") +
                            " --upgrade -o " + dir.file("u.json"),
                        dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("no value_order") != std::string::npos);
  result = run_cli("update " + dir.file("s.bin") + " " + dir.file("may.csv") + " --upgrade", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("give -o") != std::string::npos);
  result = run_cli("update " + dir.file("s.bin") + " " + dir.file("may.csv") +
                       " --upgrade-cap 3 -o " + dir.file("u.json"),
                   dir);
  CHECK(result.exit_code == 1);
  CHECK(read_text(dir.file("s.bin")) == before);
}
