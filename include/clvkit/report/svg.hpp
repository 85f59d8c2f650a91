#pragma once
// SVG primitives for the HTML report: an element builder that escapes everything it writes,
// deterministic number formatting, "nice" axis ticks (1-2-5 steps), linear and log scales,
// text-width estimates for layout, and colour-blind-safe colours (Okabe-Ito for categories,
// viridis for sequential values). The charts in charts.hpp are built from these.
//
// Output is meant to be inlined in an HTML5 document, so no xmlns attribute is written (the
// HTML parser puts <svg> in the SVG namespace) and nothing refers to anything outside the
// document: no URLs, no web fonts, no ids (ids would clash when several charts share a page).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/util/language.hpp"

namespace clvkit::report {

// ---- Escaping and numbers -------------------------------------------------------------------

/// `text` escaped for XML/HTML character data: & < > become entities. Invalid UTF-8 bytes
/// become U+FFFD and control characters other than tab, newline and carriage return (not
/// allowed in XML 1.0) are dropped, so any input gives well-formed output.
std::string escape_text(std::string_view text);

/// Like escape_text, also escaping " and ' so the result is safe in either kind of quotes.
std::string escape_attribute(std::string_view text);

/// `value` with at most `decimals` (clamped to 0..9) digits after the point, trailing zeros and
/// a trailing point removed, and "-0" written as "0": format_fixed(2.50, 2) == "2.5",
/// format_fixed(-0.001, 2) == "0". Locale-independent (std::to_chars), so the same value gives
/// the same bytes everywhere. Throws UsageError when `value` is not finite.
std::string format_fixed(double value, int decimals);

/// `value` with exactly `decimals` (clamped to 0..9) digits after the point and a comma between
/// thousands, for labels a reader sees and compares down a column: format_label(1653.5, 1) ==
/// "1,653.5", format_label(0.8, 2) == "0.80", format_label(-12000, 0) == "-12,000"; a value
/// that rounds to zero has no sign. `format` gives another locale's marks (format_decimal):
/// format_label(1653.5, 1, {",", "."}) == "1.653,5". Throws UsageError when `value` is not
/// finite.
std::string format_label(double value, int decimals, const NumberFormat& format = {});

/// The fewest decimals (0..9) that print `value` to within 1e-9 of it (relative for |value|
/// > 1): 3 -> 0, 0.35 -> 2, 0.1 -> 1. For labelling ticks that are not evenly spaced.
int shortest_decimals(double value);

// ---- Ticks and scales -----------------------------------------------------------------------

/// A step of the form {1, 2, 5} x 10^k close to span / target_count (the d3/Heckbert rule:
/// the raw step is rounded to 10, 5 or 2 times its power of ten when it is at least sqrt(50),
/// sqrt(10) or sqrt(2) times that power). Throws UsageError unless span is positive and finite
/// and target_count >= 1.
double nice_step(double span, int target_count);

/// Decimals needed to print multiples of a 1-2-5 `step` exactly: 0 for steps >= 1,
/// 1 for 0.5 or 0.2, 2 for 0.05, ...
int step_decimals(double step);

/// An axis whose ends are multiples of its step, covering a data range.
struct AxisTicks {
  double lo = 0.0;             ///< first tick, <= the data minimum
  double hi = 1.0;             ///< last tick, >= the data maximum
  double step = 1.0;           ///< 1-2-5 step between ticks
  int decimals = 0;            ///< step_decimals(step), for tick labels
  std::vector<double> values;  ///< lo, lo + step, ..., hi (each computed as i * step)
};

/// A nice axis covering [lo, hi] with about target_count intervals: 0..1653 gives
/// 0, 500, 1000, 1500, 2000. Data within 1e-9 of a step from a multiple counts as on it, so
/// rounding noise (0.30000000000000004) adds no extra tick. A zero-width range is widened first:
/// [0, 0] to [0, 1], [v, v] to the range between 0 and v. Throws UsageError when lo or hi is not
/// finite, lo > hi or target_count < 1.
AxisTicks nice_axis(double lo, double hi, int target_count = 5);

/// Nice ticks inside [lo, hi] (the range is not extended): 0..1653 gives 0, 500, 1000, 1500.
/// Same preconditions as nice_axis; a zero-width range gives that single value.
std::vector<double> nice_ticks(double lo, double hi, int target_count = 5);

/// Ticks for a log axis on [lo, hi], lo > 0: 1, 2, 5 x 10^k inside the range when it spans at
/// most three decades, powers of ten otherwise; nice_ticks when that gives fewer than two.
/// Throws UsageError unless 0 < lo <= hi, both finite.
std::vector<double> log_ticks(double lo, double hi);

/// Maps the domain [d0, d1] linearly onto the range [r0, r1] (r1 < r0 for a y axis that grows
/// upwards). A zero-width domain maps everything to the middle of the range.
class LinearScale {
 public:
  LinearScale(double d0, double d1, double r0, double r1);
  double operator()(double value) const;

 private:
  double d0_, d1_, r0_, r1_;
};

/// Maps [d0, d1] onto [r0, r1] linearly in log10(value). Throws UsageError unless the domain is
/// positive and finite; operator() throws UsageError for a value <= 0.
class LogScale {
 public:
  LogScale(double d0, double d1, double r0, double r1);
  double operator()(double value) const;

 private:
  double log_d0_, log_d1_, r0_, r1_;
};

// ---- Text layout ----------------------------------------------------------------------------

/// Approximate rendered width in px of UTF-8 `text` in a sans-serif font of `font_px`, from a
/// per-character class estimate: narrow (i, l, punctuation), average, capitals, broad (m, w),
/// and 1 em for East Asian wide characters (CJK, Hangul, full-width forms). Used only for
/// layout (margins, whether labels fit), so a rough estimate is enough.
double text_width(std::string_view text, double font_px);

/// `text` cut at a code point boundary and ended with "…" so that text_width is at most
/// max_px; unchanged when it already fits.
std::string truncate_text(std::string_view text, double max_px, double font_px);

// ---- Colours --------------------------------------------------------------------------------

/// Okabe & Ito (2008) colour-blind-safe qualitative palette, ordered for use on white: blue,
/// orange, bluish green, vermillion, reddish purple, sky blue, yellow, black. Index wraps.
std::string categorical_colour(std::size_t index);

/// Viridis sequential colour at t in [0, 1] (clamped; dark purple -> yellow), as "#rrggbb",
/// interpolated linearly between ten evenly spaced stops of the published colour map.
/// Perceptually ordered and readable with colour-vision deficiencies and in greyscale.
std::string sequential_colour(double t);

/// "#000000" or "#ffffff", whichever has the higher WCAG contrast ratio against `background`
/// ("#rrggbb"). Throws UsageError for any other format.
std::string contrasting_text_colour(std::string_view background);

// ---- Element builder ------------------------------------------------------------------------

/// One SVG element being built. Attributes keep insertion order (setting an existing one
/// replaces its value in place); values and text are escaped on the way in; children are
/// serialised when added. str() gives `<tag a="v">children</tag>`, or `<tag a="v"/>` when empty.
///
///   SvgElement rect("rect");
///   rect.set("class", "bar").set("x", 10.0).set("width", 12.5);
///   group.add(rect);
class SvgElement {
 public:
  /// Throws UsageError when `tag` is not an XML name (letters, digits, - _ . :).
  explicit SvgElement(std::string_view tag);

  /// Sets attribute `name` (an XML name, else UsageError) to the escaped `value`.
  SvgElement& set(std::string_view name, std::string_view value);
  SvgElement& set(std::string_view name, const char* value) {
    return set(name, std::string_view(value));
  }
  SvgElement& set(std::string_view name, const std::string& value) {
    return set(name, std::string_view(value));
  }
  /// Sets a numeric attribute, formatted by format_fixed(value, decimals). Throws UsageError
  /// for a non-finite value, naming the attribute.
  SvgElement& set(std::string_view name, double value, int decimals = 2);
  /// Sets an integer attribute (also keeps set("x", 0) from meaning a null const char*).
  SvgElement& set(std::string_view name, int value);

  /// Appends escaped character data.
  SvgElement& text(std::string_view text);
  /// Appends a child element.
  SvgElement& add(const SvgElement& child);

  std::string str() const;

 private:
  std::string tag_;
  std::vector<std::pair<std::string, std::string>> attributes_;  // values already escaped
  std::string content_;                                          // serialised children
};

}  // namespace clvkit::report
