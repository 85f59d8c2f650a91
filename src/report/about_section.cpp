#include <cstdint>
#include <vector>

#include "clvkit/io/date.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {

std::string about_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const ReportMetadata& m = data.metadata;
  const ScoringSpec& scoring = data.scheme->scoring();
  const auto percent_of = [](double value, int decimals) {
    return language().percent_sign(num(value, decimals));
  };
  std::vector<std::pair<std::string, std::string>> rows = {
      {tr("about.log"), esc(m.source)},
      {tr("about.transactions"), trf("about.date_range", {{"first", esc(date(m.first_day))},
                                                          {"last", esc(date(m.last_day))}})},
      {tr("about.as_of"), esc(date(m.as_of))},
      {tr("about.rows"), count(m.rows.rows_read) + " / " + count(m.rows.rows_used)},
      {tr("about.rows_rejected"),
       count(m.rows.rows_rejected()) + " / " + count(m.rows.rows_after_as_of)},
      {tr("common.customers"), count(static_cast<std::int64_t>(data.customers.size()))},
      {tr("about.scheme"),
       trf(std::string("about.scheme_value.") +
               (scoring.method == ScoringMethod::quantile ? "quantile" : "threshold") + "." +
               (scoring.monetary_basis == MonetaryBasis::total ? "total" : "average"),
           {{"scheme", esc(data.scheme->name())},
            {"source", esc(data.scheme->source())},
            {"bins", std::to_string(data.scheme->bins())}})},
      {tr("about.time_unit"),
       tr(std::string("unit.singular.") + time_unit_key(data.models.time_unit))},
      {tr("about.horizon"), esc(ctx.horizon)},
      {tr("about.margin"),
       trf("about.margin_value", {{"percent", percent_of(100.0 * data.value.margin, 1)}})},
      {tr("about.discounting"),
       data.value.period_discount_rate
           ? trf("about.discount_monthly",
                 {{"percent", percent_of(100.0 * *data.value.period_discount_rate, 2)}})
           : trf("about.discount_annual",
                 {{"percent", percent_of(100.0 * data.value.annual_discount_rate, 2)}})}};
  if (data.forecast) {
    rows.push_back({tr("about.forecast"),
                    trf("about.forecast_value", {{"draws", count(data.forecast_draws)},
                                                 {"seed", std::to_string(data.forecast_seed)}})});
  }
  if (data.validation) {
    rows.push_back({tr("about.calibration_end"), esc(date(data.validation->calibration_end))});
  }
  if (!ctx.labels.unlabelled.empty()) {
    // The scheme has no names in the report language for these segments: they are shown by
    // their names, and the report says so here (the CLI also warns once on stderr).
    std::string names;
    for (const std::string& name : ctx.labels.unlabelled) {
      names += (names.empty() ? "" : ", ") + esc(name);
    }
    rows.push_back({tr("about.segment_names"), "<span class=\"warn\" data-warning=\"labels\">" +
                                                   trf("about.unlabelled", {{"segments", names}}) +
                                                   "</span>"});
  }
  if (!m.version.empty()) rows.push_back({tr("about.made_with"), "clvkit " + esc(m.version)});
  std::string out = section_start("about", tr("nav.about"), tr("about.lead"));
  out += key_value_table("", rows);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
