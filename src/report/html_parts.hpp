#pragma once
// Internal to src/report: what the sections of the HTML report (html_report.hpp) are built
// with. Text and number formatting, tables, figures and section headings, the Context every
// section reads, and the sections themselves, one per .cpp file (key_figures.cpp,
// segments_section.cpp, activity_section.cpp, fit_section.cpp, value_section.cpp,
// call_list_section.cpp, upgrade_section.cpp, parameters_section.cpp, about_section.cpp);
// html_report.cpp puts them into one document.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/report/html_report.hpp"
#include "report_language.hpp"

namespace clvkit::report::detail {

// Chart widths in CSS px. The page is at most 1360 px wide with 24 px padding, so a full-width
// figure has about 1286 px inside its border and a half-width one 618 px: charts of these widths
// are drawn at 1:1 on a 1360-1440 px screen and shrink a little (max-width: 100%) on 1280 px.
inline constexpr int wide_chart = 1280;
inline constexpr int half_chart = 616;

// ---- Text -----------------------------------------------------------------------------------

/// `text` escaped for HTML character data.
std::string esc(std::string_view text);

/// Numbers as readers see them: fixed decimals, thousands separators.
std::string num(double value, int decimals);
std::string count(std::int64_t value);
/// A share (0.25) as a percentage ("25.0%").
std::string percent(double share, int decimals = 1);

/// An amount with the log's currency where the report language puts it, when it names one.
std::string money(double value, const ReportData& data, int decimals = 2);

/// A calendar day as the report language writes it ("1997-09-30", "30/09/1997").
std::string date(Day day);

/// A length of time in the report language: "26 weeks", "1 month", "30.5 weeks" (unit "day",
/// "week", "month", "quarter" or "year"), the number as num() writes it.
std::string length_text(double n, int decimals, std::string_view unit);

/// A model's description, P(alive) remark and the report's warning on dropout in the report
/// language: the catalogue's "model.<key>.description" (placeholder {unit}, the time unit in
/// the singular), "model.<key>.p_alive_remark", "dropout.*"; a model the catalogue does not know
/// keeps its own English text.
std::string purchase_description(const PurchaseModel& model, TimeUnit unit);
std::string spend_description(const SpendModel& model);
std::string p_alive_remark(const PurchaseModel& model);
std::string dropout_text(const DropoutIdentification& check);

/// "days", "weeks" or "months".
std::string unit_plural(TimeUnit unit);

// ---- HTML building blocks -------------------------------------------------------------------

struct Column {
  std::string label;     // HTML
  const char* cls = "";  // "num" (right-aligned number), "id" (customer id) or ""
};

/// Columns of a table of named rows: a text column headed `first`, then right-aligned number
/// columns headed `numbers` (HTML).
std::vector<Column> named_number_columns(std::string first, std::vector<std::string> numbers);

/// A table with a header row; cells are HTML (the caller escapes user text).
std::string table(const std::string& caption, const std::vector<Column>& columns,
                  const std::vector<std::vector<std::string>>& rows, const char* cls = "");

/// A two-column table of named values: the name is a row header.
std::string key_value_table(const std::string& caption,
                            const std::vector<std::pair<std::string, std::string>>& rows);

/// Half-width figures sit two to a row; wide ones take the whole row.
enum class Layout { half, wide };

/// <figure data-figure="name"> holding one chart and its caption (HTML).
std::string figure(std::string_view name, Layout layout, const std::string& svg,
                   const std::string& caption);

/// <section id="id"> with its <h2> heading and, when not empty, a lead paragraph (HTML); the
/// caller closes it.
std::string section_start(const char* id, const std::string& heading, const std::string& lead);

/// A warning paragraph when the report's P(alive) and value at risk are not informative
/// (ReportData::dropout); empty otherwise.
std::string dropout_note(const ReportData& data);

/// The indices of the at most `n` largest of `count` values (value_of(i)), largest first; ties
/// in index order. For the report's customer lists.
std::vector<std::size_t> largest_first(std::size_t count, std::size_t n,
                                       const std::function<double(std::size_t)>& value_of);

// ---- Sections -------------------------------------------------------------------------------

/// What every section reads: the data and the units its labels are written in.
struct Context {
  const ReportData& data;
  std::string currency;      // for axis labels
  std::string horizon;       // "12 months"
  double horizon_units = 0;  // in model units
  std::string units;         // "weeks"
  double days_per_unit = 1;
  SegmentLabels labels;  // the segments' names in the report language

  /// A segment's name as the report shows it: its label in the report language, else the name.
  const std::string& segment(const std::string& name) const;
  /// A segment's description in the report language, else the scheme's.
  const std::string& segment_description(const std::string& name) const;
};

/// The key figures under the title: customers, revenue, P(alive), expected purchases, CLV...
std::string key_figures(const Context& ctx);
/// 1. Segments: sizes and revenue shares, the R x F map, the segment table.
std::string segments_section(const Context& ctx);
/// 2. Who is still active: P(alive) and expected purchases over a frequency x recency grid.
/// With a migration: sizes over time, flows and transition matrix between the last two
/// snapshots, the most valuable customers who moved to a segment worth less.
std::string migration_section(const Context& ctx);
std::string activity_section(const Context& ctx);
/// 3. Model fit: the calibration fit, and with a holdout the tracking plots, the conditional
/// expectations and the holdout tables.
std::string fit_section(const Context& ctx);
/// 4. Customer value: the CLV distribution, value per segment, the per-segment forecast.
std::string value_section(const Context& ctx);
/// 5. Retention call list: the customers with the largest value at risk.
std::string call_list_section(const Context& ctx);
/// With next-purchase paths (ReportData::upgrade): per segment, the customers one purchase from
/// a better segment and from the top one, and the customers whose next purchase is worth most.
std::string upgrade_section(const Context& ctx);
/// 6. Model parameters: estimates, standard errors and convergence of every fit.
std::string parameters_section(const Context& ctx);
/// 7. How this report was made: the data, the scheme and the options.
std::string about_section(const Context& ctx);

}  // namespace clvkit::report::detail
