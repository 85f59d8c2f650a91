#pragma once
// The documents of `clvkit migrate`: JSON with every snapshot and transition (schema/
// migration.schema.json), and the moves as CSV. Field order is fixed; only finite numbers are
// written.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "clvkit/analysis/migration.hpp"

namespace clvkit {

/// {"metadata": metadata, "segments": [names], "snapshots": [{"as_of", "customers", "entries",
/// "period_revenue", "rows", "segments": [...], "purchase_fit" (with models)}], "transitions":
/// [{"from_as_of", "to_as_of", "moved", "origins", "counts", "shares", "net_flow", "moves"}]}.
/// Every "moves" array is empty in this tree (see migration_json_text). Throws ModelError naming
/// the figure when a number is not finite.
nlohmann::ordered_json migration_json(const nlohmann::ordered_json& metadata,
                                      const Migration& migration);

/// The document as text, indented by 2, the moves included one compact object per line: what
/// `clvkit migrate --format json` writes. The moves are not built as a JSON tree (millions of
/// them would take ten times their size in memory).
std::string migration_json_text(const nlohmann::ordered_json& metadata,
                                const Migration& migration);

/// One move: {"customer_id", "from", "to", "scores_before": [r, f, m], "scores_after", and with
/// models "p_alive", "clv", "value_at_risk"}, segments named by `names`.
nlohmann::ordered_json move_json(const CustomerMove& move, const std::vector<std::string>& names,
                                 bool with_models);

/// One transition without its moves: {"from_as_of", "to_as_of", "moved", "origins" ("new" then
/// `names`), "counts", "shares", "net_flow", "moves": []}.
nlohmann::ordered_json transition_json(const Transition& t, const std::vector<std::string>& names);

/// The moves of `transitions` as CSV (the columns of migration_moves_csv).
std::string moves_csv(std::span<const Transition> transitions,
                      const std::vector<std::string>& names, bool with_models);

/// The listed moves of every transition as CSV, one line each in transition order:
/// customer_id,from_segment,to_segment,from_as_of,as_of,r_before,f_before,m_before,r_after,
/// f_after,m_after and, with models, p_alive,clv,value_at_risk (shortest round-trip numbers).
std::string migration_moves_csv(const Migration& migration);

}  // namespace clvkit
