#include "clvkit/output/migration_json.hpp"

#include <charconv>

#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/json_number.hpp"
#include "clvkit/output/metadata.hpp"

namespace clvkit {
namespace {

double finite_number(double value, const char* what) {
  return finite_json_number(value, what, "the migration");
}

nlohmann::ordered_json rows_json(const IngestStats& rows) {
  nlohmann::ordered_json out;
  out["read"] = rows.rows_read;
  out["used"] = rows.rows_used;
  out["rejected_total"] = rows.rows_rejected();
  out["after_as_of"] = rows.rows_after_as_of;
  return out;
}

nlohmann::ordered_json snapshot_json(const Snapshot& snapshot, bool with_models) {
  nlohmann::ordered_json out;
  out["as_of"] = format_day(snapshot.as_of);
  out["customers"] = snapshot.customers;
  out["entries"] = snapshot.total_entries();
  out["period_revenue"] = finite_number(snapshot.total_period_revenue(), "revenue in the period");
  out["rows"] = rows_json(snapshot.rows);
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < snapshot.summary.segments.size(); ++i) {
    const SegmentStats& s = snapshot.summary.segments[i];
    nlohmann::ordered_json row;
    row["segment"] = s.name;
    row["customers"] = s.customers;
    row["share"] = finite_number(s.share, "share");
    row["entries"] = snapshot.entries[i];
    row["period_revenue"] = finite_number(snapshot.period_revenue[i], "revenue in the period");
    row["revenue"] = finite_number(s.revenue, "revenue");
    if (with_models) {
      row["expected_purchases"] = finite_number(s.expected_purchases, "expected purchases");
      row["mean_p_alive"] = finite_number(s.mean_p_alive, "mean P(alive)");
      row["clv"] = finite_number(s.clv, "CLV");
      row["value_at_risk"] = finite_number(s.value_at_risk, "value at risk");
    }
    segments.push_back(row);
  }
  out["segments"] = segments;
  if (with_models && snapshot.models) {
    out["purchase_fit"] = fit_metadata(snapshot.models->purchase.summary);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json move_json(const CustomerMove& move, const std::vector<std::string>& names,
                                 bool with_models) {
  nlohmann::ordered_json out;
  out["customer_id"] = move.id;
  out["from"] = names[static_cast<std::size_t>(move.from)];
  out["to"] = names[static_cast<std::size_t>(move.to)];
  out["scores_before"] = {move.before.r, move.before.f, move.before.m};
  out["scores_after"] = {move.after.r, move.after.f, move.after.m};
  if (with_models) {
    out["p_alive"] = finite_number(move.p_alive, "P(alive)");
    out["clv"] = finite_number(move.clv, "CLV");
    out["value_at_risk"] = finite_number(move.value_at_risk, "value at risk");
  }
  return out;
}

nlohmann::ordered_json transition_json(const Transition& t, const std::vector<std::string>& names) {
  nlohmann::ordered_json out;
  out["from_as_of"] = format_day(t.from_as_of);
  out["to_as_of"] = format_day(t.to_as_of);
  out["moved"] = t.moved;
  nlohmann::ordered_json origins = nlohmann::ordered_json::array({"new"});
  for (const std::string& name : names) origins.push_back(name);
  out["origins"] = origins;
  nlohmann::ordered_json counts = nlohmann::ordered_json::array();
  nlohmann::ordered_json shares = nlohmann::ordered_json::array();
  for (int origin = 0; origin <= t.segments; ++origin) {
    nlohmann::ordered_json count_row = nlohmann::ordered_json::array();
    nlohmann::ordered_json share_row = nlohmann::ordered_json::array();
    for (int to = 0; to < t.segments; ++to) {
      count_row.push_back(t.count(origin, to));
      share_row.push_back(finite_number(t.share(origin, to), "transition share"));
    }
    counts.push_back(count_row);
    shares.push_back(share_row);
  }
  out["counts"] = counts;
  out["shares"] = shares;
  out["net_flow"] = t.net_flow();
  out["moves"] = nlohmann::ordered_json::array();  // written by moves_text
  return out;
}

namespace {

// A transition's moves as JSON text, one compact object per line: a JSON tree of millions of
// moves would take ten times their size in memory.
void append_moves_text(std::string& out, const Transition& t, const Migration& migration,
                       const std::string& indent) {
  if (t.moves.empty()) {
    out += "[]";
    return;
  }
  out += "[\n";
  for (std::size_t i = 0; i < t.moves.size(); ++i) {
    out += indent + "  " + move_json(t.moves[i], migration.segment_names, migration.has_models).dump();
    out += i + 1 < t.moves.size() ? ",\n" : "\n";
  }
  out += indent + "]";
}

void append_number(std::string& out, double value) {
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, value);
  out.append(text, written.ptr);
}

}  // namespace

std::string migration_json_text(const nlohmann::ordered_json& metadata,
                                const Migration& migration) {
  const std::string tree = migration_json(metadata, migration).dump(2);
  // Each transition's empty "moves" array, in order, gets that transition's moves. The key
  // appears nowhere else: user text in the tree (segment names) has its quotes escaped.
  const std::string key = "\"moves\": []";
  std::string out;
  out.reserve(tree.size());
  std::size_t from = 0;
  for (const Transition& t : migration.transitions) {
    const std::size_t at = tree.find(key, from);
    const std::size_t line = tree.rfind('\n', at) + 1;
    out.append(tree, from, at - from);
    out += "\"moves\": ";
    append_moves_text(out, t, migration, std::string(at - line, ' '));
    from = at + key.size();
  }
  out.append(tree, from, std::string::npos);
  return out + "\n";
}

nlohmann::ordered_json migration_json(const nlohmann::ordered_json& metadata,
                                      const Migration& migration) {
  nlohmann::ordered_json out;
  out["metadata"] = metadata;
  out["segments"] = migration.segment_names;
  nlohmann::ordered_json snapshots = nlohmann::ordered_json::array();
  for (const Snapshot& snapshot : migration.snapshots) {
    snapshots.push_back(snapshot_json(snapshot, migration.has_models));
  }
  out["snapshots"] = snapshots;
  nlohmann::ordered_json transitions = nlohmann::ordered_json::array();
  for (const Transition& t : migration.transitions) {
    transitions.push_back(transition_json(t, migration.segment_names));
  }
  out["transitions"] = transitions;
  return out;
}

std::string moves_csv(std::span<const Transition> transitions,
                      const std::vector<std::string>& names, bool with_models) {
  std::string out =
      "customer_id,from_segment,to_segment,from_as_of,as_of,r_before,f_before,m_before,r_after,"
      "f_after,m_after";
  out += with_models ? ",p_alive,clv,value_at_risk\n" : "\n";
  for (const Transition& t : transitions) {
    const std::string from_day = format_day(t.from_as_of);
    const std::string to_day = format_day(t.to_as_of);
    for (const CustomerMove& move : t.moves) {
      append_csv_field(out, move.id);
      out += ',';
      append_csv_field(out, names[static_cast<std::size_t>(move.from)]);
      out += ',';
      append_csv_field(out, names[static_cast<std::size_t>(move.to)]);
      out += ',' + from_day + ',' + to_day;
      for (const int score : {move.before.r, move.before.f, move.before.m, move.after.r,
                              move.after.f, move.after.m}) {
        out += ',' + std::to_string(score);
      }
      if (with_models) {
        for (const double value : {move.p_alive, move.clv, move.value_at_risk}) {
          out += ',';
          append_number(out, finite_number(value, "a move's value"));
        }
      }
      out += '\n';
    }
  }
  return out;
}

std::string migration_moves_csv(const Migration& migration) {
  return moves_csv(migration.transitions, migration.segment_names, migration.has_models);
}

}  // namespace clvkit
