// Segments over time (migration.hpp): a hand-computed log, every snapshot equal to an analysis
// as of its day, held score boundaries, and the same result for any thread count.

#include "clvkit/analysis/migration.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace {

using namespace clvkit;

const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

Day day(const char* iso) { return parse_iso_date_or_throw(iso, "test"); }

// Two bins on fixed thresholds: recent = at most 30 days since the last purchase, frequent = 2
// purchase days or more; M does not matter.
const char* const kScheme = R"({
  "name": "test4", "description": "recent/frequent", "bins": 2,
  "scoring": {"method": "threshold", "monetary_basis": "total",
              "recency_days": [30], "purchase_days": [1], "monetary": [100]},
  "segments": [
    {"name": "Champions", "description": "recent, frequent", "rules": [{"r": [2, 2], "f": [2, 2]}]},
    {"name": "New", "description": "recent, once", "rules": [{"r": [2, 2], "f": [1, 1]}]},
    {"name": "At Risk", "description": "not recent, frequent", "rules": [{"r": [1, 1], "f": [2, 2]}]},
    {"name": "Lapsed", "description": "not recent, once", "rules": [{"r": [1, 1], "f": [1, 1]}]}
  ]
})";

// Three customers over three month ends; the comments give each snapshot's segment.
const char* const kLog =
    "customer_id,date,amount\n"
    "a,2024-01-05,50\n"   // a: Champions (Jan), At Risk (Feb: 40 days), Champions (Mar)
    "b,2024-01-10,20\n"   // b: New (Jan), Lapsed (Feb, Mar)
    "a,2024-01-20,70\n"
    "c,2024-02-10,200\n"  // c: new in Feb as Champions, At Risk (Mar: 40 days)
    "c,2024-02-20,10\n"
    "a,2024-03-15,30\n";

std::string write_scheme() {
  const std::string path = "/tmp/clvkit-migration-test-scheme.json";
  std::ofstream(path) << kScheme;
  return path;
}

Migration migrate(const std::string& text, MigrationOptions options) {
  std::istringstream in(text);
  return analyze_migration(in, "log.csv", options);
}

MigrationOptions hand_options() {
  MigrationOptions options;
  options.analysis.segmentation.scheme = write_scheme();
  options.analysis.fit_models = false;
  options.schedule.every = Period::month;
  options.schedule.to = day("2024-03-31");
  return options;
}

}  // namespace

TEST_CASE("migration of a hand-made log: sizes, entries, revenue, matrices and moves",
          "[migration]") {
  const Migration m = migrate(kLog, hand_options());
  REQUIRE(m.segment_names == std::vector<std::string>{"Champions", "New", "At Risk", "Lapsed"});
  REQUIRE(m.snapshots.size() == 3);
  CHECK(m.snapshots[0].as_of == day("2024-01-31"));
  CHECK(m.snapshots[1].as_of == day("2024-02-29"));
  CHECK(m.snapshots[2].as_of == day("2024-03-31"));
  const auto sizes = [&](std::size_t k) {
    std::vector<std::int64_t> out;
    for (const SegmentStats& s : m.snapshots[k].summary.segments) out.push_back(s.customers);
    return out;
  };
  CHECK(sizes(0) == std::vector<std::int64_t>{1, 1, 0, 0});
  CHECK(sizes(1) == std::vector<std::int64_t>{1, 0, 1, 1});
  CHECK(sizes(2) == std::vector<std::int64_t>{1, 0, 1, 1});
  CHECK(m.snapshots[0].entries == std::vector<std::int64_t>{1, 1, 0, 0});
  CHECK(m.snapshots[1].entries == std::vector<std::int64_t>{1, 0, 0, 0});
  CHECK(m.snapshots[2].entries == std::vector<std::int64_t>{0, 0, 0, 0});
  CHECK(m.snapshots[0].period_revenue == std::vector<double>{120, 20, 0, 0});
  CHECK(m.snapshots[1].period_revenue == std::vector<double>{210, 0, 0, 0});
  CHECK(m.snapshots[2].period_revenue == std::vector<double>{30, 0, 0, 0});

  REQUIRE(m.transitions.size() == 2);
  const Transition& jan_feb = m.transitions[0];
  // Rows: new, Champions, New, At Risk, Lapsed; columns: Champions, New, At Risk, Lapsed.
  CHECK(jan_feb.counts == std::vector<std::int64_t>{1, 0, 0, 0,    // c is new
                                                    0, 0, 1, 0,    // a: Champions -> At Risk
                                                    0, 0, 0, 1,    // b: New -> Lapsed
                                                    0, 0, 0, 0,    //
                                                    0, 0, 0, 0});  //
  CHECK(jan_feb.moved == 2);
  CHECK(jan_feb.net_flow() == std::vector<std::int64_t>{0, -1, 1, 1});
  CHECK(jan_feb.share(1, 2) == 1.0);
  REQUIRE(jan_feb.moves.size() == 2);
  CHECK(jan_feb.moves[0].id == "a");
  CHECK(jan_feb.moves[0].from == 0);
  CHECK(jan_feb.moves[0].to == 2);
  CHECK(jan_feb.moves[0].before == RfmScore{2, 2, 2});
  CHECK(jan_feb.moves[0].after == RfmScore{1, 2, 2});
  CHECK(jan_feb.moves[1].id == "b");
  const Transition& feb_mar = m.transitions[1];
  CHECK(feb_mar.counts == std::vector<std::int64_t>{0, 0, 0, 0,    //
                                                    0, 0, 1, 0,    // c: Champions -> At Risk
                                                    0, 0, 0, 0,    //
                                                    1, 0, 0, 0,    // a: At Risk -> Champions
                                                    0, 0, 0, 1});  // b stays Lapsed
  CHECK(feb_mar.moved == 2);
  CHECK(feb_mar.net_flow() == std::vector<std::int64_t>{0, 0, 0, 0});

  // Filters list some moves; the matrix still counts all of them.
  MigrationOptions filtered = hand_options();
  filtered.moves.from = {"Champions"};
  filtered.moves.to = {"At Risk", "Lapsed"};
  const Migration f = migrate(kLog, filtered);
  REQUIRE(f.transitions[0].moves.size() == 1);
  CHECK(f.transitions[0].moves[0].id == "a");
  REQUIRE(f.transitions[1].moves.size() == 1);
  CHECK(f.transitions[1].moves[0].id == "c");
  CHECK(f.transitions[0].counts == jan_feb.counts);
  filtered.moves.to = {"Sleeping"};
  CHECK_THROWS_WITH(migrate(kLog, filtered),
                    Catch::Matchers::Contains("has no segment 'Sleeping'"));
}

TEST_CASE("every migration snapshot equals the analysis as of its day (CDNOW, models fitted)",
          "[migration][consistency]") {
  MigrationOptions options;
  options.analysis.threads = 2;
  options.schedule.as_of = {day("1997-03-31"), day("1997-09-30"), day("1998-06-30")};
  const Migration m = analyze_migration(kCdnow, options);
  REQUIRE(m.snapshots.size() == 3);
  CHECK(m.has_models);
  std::vector<CustomerAnalysis> direct;
  for (const Day as_of : options.schedule.as_of) {
    AnalysisOptions analysis = options.analysis;
    analysis.input.as_of = as_of;
    direct.push_back(analyze(kCdnow, analysis));
  }
  for (std::size_t k = 0; k < direct.size(); ++k) {
    CAPTURE(k);
    const SegmentSummary want = summarize_segments(direct[k]);
    const SegmentSummary& got = m.snapshots[k].summary;
    REQUIRE(got.segments.size() == want.segments.size());
    for (std::size_t s = 0; s < want.segments.size(); ++s) {
      CAPTURE(want.segments[s].name);
      CHECK(got.segments[s].customers == want.segments[s].customers);
      CHECK(got.segments[s].revenue == want.segments[s].revenue);
      CHECK(got.segments[s].expected_purchases == want.segments[s].expected_purchases);
      CHECK(got.segments[s].clv == want.segments[s].clv);
      CHECK(got.segments[s].value_at_risk == want.segments[s].value_at_risk);
    }
    CHECK(got.r_by_f == want.r_by_f);
    CHECK(m.snapshots[k].rows.rows_used == direct[k].rows().rows_used);
    CHECK(m.snapshots[k].rows.rows_after_as_of == direct[k].rows().rows_after_as_of);
  }
  // Every mover is listed with its segments as the direct analyses give them.
  for (std::size_t k = 0; k + 1 < direct.size(); ++k) {
    const Transition& t = m.transitions[k];
    std::int64_t movers = 0;
    const std::vector<std::uint32_t> index =
        match_customers(direct[k].customers(), direct[k + 1].customers());
    for (std::size_t i = 0; i < direct[k + 1].size(); ++i) {
      if (index[i] == kNewCustomer) continue;
      const int before = direct[k].segmented.segment[index[i]];
      const int after = direct[k + 1].segmented.segment[i];
      if (before != after) ++movers;
    }
    CHECK(t.moved == movers);
    CHECK(static_cast<std::int64_t>(t.moves.size()) == movers);
    for (const CustomerMove& move : t.moves) {
      CHECK(move.p_alive >= 0.0);
      CHECK(move.p_alive <= 1.0);
    }
  }
}

TEST_CASE("held boundaries: the first snapshot as with quantiles, and a customer who did not "
          "buy keeps F and M and can only lose R",
          "[migration][property]") {
  MigrationOptions options;
  options.analysis.fit_models = false;
  options.schedule.every = Period::quarter;
  options.edges = SnapshotEdges::first;
  const Migration held = analyze_migration(kCdnow, options);
  options.edges = SnapshotEdges::each;
  const Migration each = analyze_migration(kCdnow, options);
  REQUIRE(held.held_edges.has_value());
  REQUIRE(held.snapshots.size() == each.snapshots.size());
  CHECK(held.snapshots[0].summary.r_by_f == each.snapshots[0].summary.r_by_f);
  std::int64_t differ = 0;
  for (std::size_t k = 1; k < held.snapshots.size(); ++k) {
    differ += held.snapshots[k].summary.r_by_f != each.snapshots[k].summary.r_by_f ? 1 : 0;
  }
  CHECK(differ > 0);  // the boundaries did move in CDNOW's later quarters

  // Customer by customer, from direct analyses scored with the held spec.
  AnalysisOptions analysis;
  analysis.fit_models = false;
  const SegmentPlan plan = plan_segments(analysis.segmentation);
  SegmentPlan held_plan = plan;
  held_plan.spec = *held.held_edges;
  std::optional<CustomerAnalysis> previous;
  for (const Snapshot& snapshot : held.snapshots) {
    analysis.input.as_of = snapshot.as_of;
    CustomerBase base = ingest_transactions_file(kCdnow, analysis.input);
    CustomerAnalysis current = analyze(std::move(base), held_plan, analysis);
    CHECK(summarize_segments(current).r_by_f == snapshot.summary.r_by_f);
    if (previous) {
      const std::vector<std::uint32_t> index =
          match_customers(previous->customers(), current.customers());
      for (std::size_t i = 0; i < current.size(); ++i) {
        if (index[i] == kNewCustomer) continue;
        const CustomerSummary& now = current.customers()[i];
        const CustomerSummary& then = previous->customers()[index[i]];
        if (now.purchase_days != then.purchase_days || now.total_spend != then.total_spend) {
          continue;
        }
        CAPTURE(now.id);
        CHECK(current.scores()[i].f == previous->scores()[index[i]].f);
        CHECK(current.scores()[i].m == previous->scores()[index[i]].m);
        CHECK(current.scores()[i].r <= previous->scores()[index[i]].r);
      }
    }
    previous = std::move(current);
  }
}

TEST_CASE("migration is the same for any thread count", "[migration][property]") {
  MigrationOptions options;
  options.schedule.every = Period::quarter;
  options.analysis.threads = 1;
  const Migration one = analyze_migration(kCdnow, options);
  options.analysis.threads = 3;
  const Migration three = analyze_migration(kCdnow, options);
  REQUIRE(one.transitions.size() == three.transitions.size());
  for (std::size_t k = 0; k < one.transitions.size(); ++k) {
    CHECK(one.transitions[k].counts == three.transitions[k].counts);
    REQUIRE(one.transitions[k].moves.size() == three.transitions[k].moves.size());
    for (std::size_t i = 0; i < one.transitions[k].moves.size(); ++i) {
      CHECK(one.transitions[k].moves[i].id == three.transitions[k].moves[i].id);
      CHECK(one.transitions[k].moves[i].clv == three.transitions[k].moves[i].clv);
    }
  }
  for (std::size_t k = 0; k < one.snapshots.size(); ++k) {
    CHECK(one.snapshots[k].period_revenue == three.snapshots[k].period_revenue);
    CHECK(one.snapshots[k].summary.segments[0].clv == three.snapshots[k].summary.segments[0].clv);
  }
}
