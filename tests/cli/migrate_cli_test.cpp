// clvkit migrate from the command line: every snapshot as `run --as-of` that day gives it, the
// moves as the difference of two runs, the same bytes for any thread count, and usage errors.

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_csv_by_id;
using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::split_csv_line;
using clvkit::test::TempDir;
using nlohmann::json;

}  // namespace

TEST_CASE("migrate: each snapshot is run --as-of that day, the moves the difference of two runs",
          "[cli][migration][consistency]") {
  TempDir dir;
  const char* const days[] = {"1997-03-31", "1997-12-31", "1998-06-30"};
  const auto migrate = run_cli(
      "migrate data/cdnow.csv --as-of 1997-03-31,1997-12-31,1998-06-30 --format json -q -o " +
          dir.file("m.json"),
      dir);
  REQUIRE(migrate.exit_code == 0);
  const json m = json::parse(read_text(dir.file("m.json")));
  REQUIRE(m["snapshots"].size() == 3);
  CHECK(m["metadata"]["command"] == "migrate");
  const auto moves =
      run_cli("migrate data/cdnow.csv --as-of 1997-03-31,1997-12-31,1998-06-30 --format csv -q -o " +
                  dir.file("moves.csv"),
              dir);
  REQUIRE(moves.exit_code == 0);
  std::map<std::string, std::map<std::string, std::string>> previous;
  std::stringstream listed(read_text(dir.file("moves.csv")));
  std::string line;
  std::getline(listed, line);
  CHECK(line ==
        "customer_id,from_segment,to_segment,from_as_of,as_of,r_before,f_before,m_before,"
        "r_after,f_after,m_after,p_alive,clv,value_at_risk");
  std::map<std::string, std::vector<std::string>> move_by_key;  // "as_of/id" -> fields
  while (std::getline(listed, line)) {
    const std::vector<std::string> fields = split_csv_line(line);
    move_by_key[fields[4] + "/" + fields[0]] = fields;
  }
  std::size_t moves_expected = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    CAPTURE(days[k]);
    const auto run = run_cli(std::string("run data/cdnow.csv --format csv -q --as-of ") + days[k] +
                                 " -o " + dir.file("run.csv"),
                             dir);
    REQUIRE(run.exit_code == 0);
    const auto records = read_csv_by_id(read_text(dir.file("run.csv")));
    std::map<std::string, std::int64_t> per_segment;
    for (const auto& [id, record] : records) ++per_segment[record.at("segment")];
    const json& snapshot = m["snapshots"][k];
    CHECK(snapshot["as_of"] == days[k]);
    CHECK(snapshot["customers"].get<std::size_t>() == records.size());
    for (const json& segment : snapshot["segments"]) {
      CAPTURE(segment["segment"].get<std::string>());
      CHECK(segment["customers"].get<std::int64_t>() ==
            per_segment[segment["segment"].get<std::string>()]);
    }
    if (k > 0) {
      for (const auto& [id, record] : records) {
        const auto before = previous.find(id);
        if (before == previous.end() || before->second.at("segment") == record.at("segment")) {
          continue;
        }
        ++moves_expected;
        CAPTURE(id);
        const auto found = move_by_key.find(std::string(days[k]) + "/" + id);
        REQUIRE(found != move_by_key.end());
        const std::vector<std::string>& move = found->second;
        CHECK(move[1] == before->second.at("segment"));
        CHECK(move[2] == record.at("segment"));
        CHECK(move[3] == days[k - 1]);
        CHECK(move[8] == record.at("r_score"));
        CHECK(std::stod(move[11]) == Approx(std::stod(record.at("p_alive"))).epsilon(1e-11));
        CHECK(std::stod(move[12]) == Approx(std::stod(record.at("clv"))).epsilon(1e-11));
        CHECK(std::stod(move[13]) ==
              Approx(std::stod(record.at("value_at_risk"))).epsilon(1e-11).margin(1e-11));
      }
    }
    previous = records;
  }
  CHECK(moves_expected > 100);
  CHECK(move_by_key.size() == moves_expected);
}

TEST_CASE("migrate writes the same bytes for any thread count", "[cli][migration][property]") {
  TempDir dir;
  for (const char* threads : {"1", "3"}) {
    const auto result =
        run_cli(std::string("migrate data/cdnow.csv --every quarter --edges first --format json "
                            "-q --threads ") +
                    threads + " -o " + dir.file(std::string("m") + threads + ".json"),
                dir);
    REQUIRE(result.exit_code == 0);
  }
  CHECK(read_text(dir.file("m1.json")) == read_text(dir.file("m3.json")));
  const json m = json::parse(read_text(dir.file("m1.json")));
  CHECK(m["metadata"]["migration"]["edges"] == "first");
  CHECK(m["metadata"]["migration"]["held_edges"]["recency_days"].size() == 4);
  CHECK(m["snapshots"].size() == 6);
  CHECK(m["transitions"].size() == 5);
}

TEST_CASE("migrate refuses unclear snapshot days and unknown segments with exit 1",
          "[cli][migration][inputcheck]") {
  TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"migrate data/cdnow.csv", "either --as-of D1,D2,... or --every"},
      {"migrate data/cdnow.csv --every month --as-of 1997-05-01", "either --as-of"},
      {"migrate data/cdnow.csv --every fortnight", "--every: expected day, week"},
      {"migrate data/cdnow.csv --as-of 1997-05-01,1997-04-01", "ascending and distinct"},
      {"migrate data/cdnow.csv --as-of 1997-05-01 --from 1997-01-01", "--from and --to go with"},
      {"migrate data/cdnow.csv --every month --from 1998-01-01 --to 1997-01-01", "is after the last"},
      {"migrate data/cdnow.csv --every month --to-segment Sleeping", "has no segment 'Sleeping'"},
      {"migrate data/cdnow.csv --every month --edges last", "--edges: expected each or first"},
      {"migrate data/cdnow.csv --every month --format xml", "--format: expected table, json"},
  };
  for (const auto& [arguments, message] : cases) {
    CAPTURE(arguments);
    const auto result = run_cli(std::string(arguments) + " -q -o " + dir.file("out"), dir);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Matchers::Contains(message));
    CHECK_FALSE(std::filesystem::exists(dir.file("out")));
  }
  // A snapshot before the first purchase is a data problem: exit 2 naming the day.
  const auto early = run_cli("migrate data/cdnow.csv --as-of 1996-12-31,1997-06-30 -q", dir);
  CHECK(early.exit_code == 2);
  CHECK_THAT(early.err, Catch::Matchers::Contains("as of 1996-12-31: no customer has a purchase"));
}
