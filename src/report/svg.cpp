#include "clvkit/report/svg.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "clvkit/error.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit::report {
namespace {

// Code points XML 1.0 forbids (C0 controls except tab/newline/CR, U+FFFE, U+FFFF) plus DEL and
// the C1 controls, which HTML reports as parse errors. They carry no meaning in a label.
bool dropped(std::int32_t cp) {
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r';
  if (cp >= 0x7F && cp <= 0x9F) return true;
  return cp == 0xFFFE || cp == 0xFFFF;
}

std::string escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const Utf8Sequence d = decode_utf8(text, i);
    if (d.code_point < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else if (dropped(d.code_point)) {
      // skipped, see dropped()
    } else {
      switch (d.code_point) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += attribute ? "&quot;" : "\"";
          break;
        case '\'':
          out += attribute ? "&#39;" : "'";
          break;
        // Parsers normalise raw whitespace in attribute values to spaces; keep it as written.
        case '\t':
          out += attribute ? "&#9;" : "\t";
          break;
        case '\n':
          out += attribute ? "&#10;" : "\n";
          break;
        case '\r':
          out += "&#13;";
          break;  // raw CR would be read back as LF
        default:
          out.append(text.substr(i, d.length));
      }
    }
    i += d.length;
  }
  return out;
}

bool is_name_char(char c, bool first) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  if (first) return letter;
  return letter || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void check_name(std::string_view name, const char* what) {
  bool ok = !name.empty();
  for (std::size_t i = 0; ok && i < name.size(); ++i) ok = is_name_char(name[i], i == 0);
  if (!ok) {
    throw UsageError(std::string("svg: ") + what + " '" + std::string(name) +
                     "' is not an XML name (ASCII letters, digits, - _ . :)");
  }
}

// A 1-2-5 step kept as mantissa x 10^exponent, so tick values can be computed as exact
// integer multiples: i * 0.1 is 0.30000000000000004 for i = 3, but 3 / 10 is the double nearest
// 0.3, which prints and compares as expected.
struct Step {
  int mantissa;  // 1, 2 or 5
  int exponent;
  double value() const { return multiple(1); }
  double multiple(long long i) const {
    const double m = static_cast<double>(i) * mantissa;
    return exponent >= 0 ? m * std::pow(10.0, exponent) : m / std::pow(10.0, -exponent);
  }
};

Step make_step(double span, int target_count) {
  if (!(span > 0.0) || !std::isfinite(span)) {
    throw UsageError("nice ticks: span is " + describe_number(span) +
                     ", but must be positive and finite");
  }
  if (target_count < 1) {
    throw UsageError("nice ticks: target count is " + std::to_string(target_count) +
                     ", but must be at least 1");
  }
  const double raw = span / target_count;
  int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double error = raw / std::pow(10.0, exponent);
  int mantissa = 1;
  if (error >= std::sqrt(50.0)) {
    mantissa = 1;
    ++exponent;
  } else if (error >= std::sqrt(10.0)) {
    mantissa = 5;
  } else if (error >= std::sqrt(2.0)) {
    mantissa = 2;
  }
  return {mantissa, exponent};
}

void check_range(double lo, double hi, const char* what) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
    throw UsageError(std::string(what) + ": range [" + describe_number(lo) + ", " +
                     describe_number(hi) + "] must be finite with lo <= hi");
  }
}

// Relative slack when snapping data ends to tick multiples, so that 0.3 counts as a multiple of
// 0.1 although 0.3 / 0.1 is 2.9999999999999996.
constexpr double snap = 1e-9;

struct Rgb {
  double r, g, b;  // 0..255
};

Rgb parse_hex(std::string_view hex) {
  const auto digit = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool ok = hex.size() == 7 && hex[0] == '#';
  for (std::size_t i = 1; ok && i < hex.size(); ++i) ok = digit(hex[i]) >= 0;
  if (!ok) {
    throw UsageError("colour '" + std::string(hex) + "' is not of the form #rrggbb");
  }
  const auto channel = [&](std::size_t i) { return 16.0 * digit(hex[i]) + digit(hex[i + 1]); };
  return {channel(1), channel(3), channel(5)};
}

std::string to_hex(Rgb c) {
  const auto clamp = [](double v) {
    return static_cast<int>(std::lround(std::clamp(v, 0.0, 255.0)));
  };
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", clamp(c.r), clamp(c.g), clamp(c.b));
  return buffer;
}

// WCAG 2 relative luminance of an sRGB colour.
double luminance(Rgb c) {
  const auto linear = [](double v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

bool is_wide(std::int32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}

// Rough advance widths in em of a typical UI sans-serif (Segoe UI, Roboto, DejaVu Sans lie
// within about 15% of these): narrow punctuation and i/l, wide m/w and capitals.
double code_point_em(std::int32_t cp) {
  if (is_wide(cp)) return 1.0;
  if (cp == 0x2026) return 1.0;  // the ellipsis truncate_text appends
  if (cp < 0x80) {
    const std::string_view narrow = " !'(),-./:;I[]fijlrt|";
    const std::string_view broad = "%@MWmw";
    const auto c = static_cast<char>(cp);
    if (narrow.find(c) != std::string_view::npos) return 0.34;
    if (broad.find(c) != std::string_view::npos) return 0.86;
    if (c >= 'A' && c <= 'Z') return 0.68;
    return 0.56;
  }
  return 0.62;  // other scripts and accented letters: a little wider than average Latin
}

// `value` in fixed notation with exactly `decimals` (clamped to 0..9) digits after the point.
// Locale-independent: std::to_chars always writes '.' and no grouping.
std::string fixed_digits(double value, int decimals) {
  if (!std::isfinite(value)) {
    throw UsageError("svg: cannot format " + describe_number(value) + ", numbers must be finite");
  }
  decimals = std::clamp(decimals, 0, 9);
  // Fixed notation of the largest double has 309 integer digits.
  std::array<char, 400> buffer;
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::fixed, decimals);
  return std::string(buffer.data(), result.ptr);
}

}  // namespace

std::string escape_text(std::string_view text) { return escape(text, false); }

std::string escape_attribute(std::string_view text) { return escape(text, true); }

std::string format_fixed(double value, int decimals) {
  std::string out = fixed_digits(value, decimals);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string format_label(double value, int decimals, const NumberFormat& format) {
  if (!std::isfinite(value)) {
    throw UsageError("svg: cannot format " + describe_number(value) + ", numbers must be finite");
  }
  return format_decimal(value, std::clamp(decimals, 0, 9), format);
}

int shortest_decimals(double value) {
  if (!std::isfinite(value)) return 0;
  for (int d = 0; d < 9; ++d) {
    const double back = std::strtod(fixed_digits(value, d).c_str(), nullptr);
    if (std::abs(back - value) <= 1e-9 * std::max(1.0, std::abs(value))) return d;
  }
  return 9;
}

double nice_step(double span, int target_count) { return make_step(span, target_count).value(); }

int step_decimals(double step) {
  if (!(step > 0.0) || !std::isfinite(step)) return 0;
  return std::max(0, -static_cast<int>(std::floor(std::log10(step) + snap)));
}

AxisTicks nice_axis(double lo, double hi, int target_count) {
  check_range(lo, hi, "nice axis");
  if (lo == hi) {
    if (lo == 0.0) {
      hi = 1.0;
    } else {
      lo = std::min(lo, 0.0);
      hi = std::max(hi, 0.0);
    }
  }
  const Step step = make_step(hi - lo, target_count);
  const double s = step.value();
  const auto first = static_cast<long long>(std::floor(lo / s + snap));
  const auto last = static_cast<long long>(std::ceil(hi / s - snap));
  AxisTicks axis;
  axis.step = s;
  axis.decimals = step_decimals(s);
  for (long long i = first; i <= last; ++i) axis.values.push_back(step.multiple(i));
  axis.lo = axis.values.front();
  axis.hi = axis.values.back();
  return axis;
}

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
  check_range(lo, hi, "nice ticks");
  if (target_count < 1) make_step(1.0, target_count);  // throws the usual message
  if (lo == hi) return {lo};
  const Step step = make_step(hi - lo, target_count);
  const double s = step.value();
  const auto first = static_cast<long long>(std::ceil(lo / s - snap));
  const auto last = static_cast<long long>(std::floor(hi / s + snap));
  std::vector<double> ticks;
  for (long long i = first; i <= last; ++i) ticks.push_back(step.multiple(i));
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  check_range(lo, hi, "log ticks");
  if (!(lo > 0.0)) {
    throw UsageError("log ticks: range starts at " + describe_number(lo) +
                     ", but must be positive");
  }
  const int k0 = static_cast<int>(std::floor(std::log10(lo)));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi)));
  const int decades = k1 - k0;
  // Few decades: 1-2-5 within each. Many: powers of ten, thinned to at most about ten ticks.
  const std::vector<int> mantissas = decades <= 3 ? std::vector<int>{1, 2, 5} : std::vector<int>{1};
  const int every = std::max(1, (decades + 9) / 10);
  std::vector<double> ticks;
  for (int k = k0; k <= k1; ++k) {
    if ((k - k0) % every != 0) continue;
    for (int m : mantissas) {
      const Step step{m, k};
      const double v = step.value();
      if (v >= lo * (1 - snap) && v <= hi * (1 + snap)) ticks.push_back(v);
    }
  }
  if (ticks.size() < 2) return nice_ticks(lo, hi, 4);
  return ticks;
}

LinearScale::LinearScale(double d0, double d1, double r0, double r1)
    : d0_(d0), d1_(d1), r0_(r0), r1_(r1) {}

double LinearScale::operator()(double value) const {
  if (d1_ == d0_) return (r0_ + r1_) / 2;
  return r0_ + (value - d0_) / (d1_ - d0_) * (r1_ - r0_);
}

LogScale::LogScale(double d0, double d1, double r0, double r1) : r0_(r0), r1_(r1) {
  if (!(d0 > 0.0) || !(d1 > 0.0) || !std::isfinite(d0) || !std::isfinite(d1)) {
    throw UsageError("log scale: domain [" + describe_number(d0) + ", " + describe_number(d1) +
                     "] must be positive and finite");
  }
  log_d0_ = std::log10(d0);
  log_d1_ = std::log10(d1);
}

double LogScale::operator()(double value) const {
  if (!(value > 0.0)) {
    throw UsageError("log scale: value " + describe_number(value) + " is not positive");
  }
  if (log_d1_ == log_d0_) return (r0_ + r1_) / 2;
  return r0_ + (std::log10(value) - log_d0_) / (log_d1_ - log_d0_) * (r1_ - r0_);
}

double text_width(std::string_view text, double font_px) {
  double em = 0.0;
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Sequence d = decode_utf8(text, i);
    em += d.code_point < 0 ? 1.0 : code_point_em(d.code_point);
    i += d.length;
  }
  return em * font_px;
}

std::string truncate_text(std::string_view text, double max_px, double font_px) {
  if (text_width(text, font_px) <= max_px) return std::string(text);
  const double budget = max_px - text_width("…", font_px);
  double used = 0.0;
  std::size_t end = 0;
  while (end < text.size()) {
    const Utf8Sequence d = decode_utf8(text, end);
    const double w = (d.code_point < 0 ? 1.0 : code_point_em(d.code_point)) * font_px;
    if (used + w > budget) break;
    used += w;
    end += d.length;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string categorical_colour(std::size_t index) {
  // Okabe & Ito (2008), "Color Universal Design"; yellow late because it is faint on white.
  static constexpr std::array<const char*, 8> palette = {
      "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"};
  return palette[index % palette.size()];
}

std::string sequential_colour(double t) {
  // Viridis (van der Walt & Smith, matplotlib) sampled at ten evenly spaced points.
  static constexpr std::array<const char*, 10> stops = {"#440154", "#482878", "#3e4989", "#31688e",
                                                        "#26828e", "#1f9e89", "#35b779", "#6ece58",
                                                        "#b5de2b", "#fde725"};
  if (std::isnan(t)) t = 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double position = t * (stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(position), stops.size() - 2);
  const double f = position - static_cast<double>(i);
  const Rgb a = parse_hex(stops[i]);
  const Rgb b = parse_hex(stops[i + 1]);
  return to_hex({a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)});
}

std::string contrasting_text_colour(std::string_view background) {
  const double l = luminance(parse_hex(background));
  const double against_white = 1.05 / (l + 0.05);
  const double against_black = (l + 0.05) / 0.05;
  return against_black >= against_white ? "#000000" : "#ffffff";
}

SvgElement::SvgElement(std::string_view tag) : tag_(tag) { check_name(tag, "element name"); }

SvgElement& SvgElement::set(std::string_view name, std::string_view value) {
  check_name(name, "attribute name");
  std::string escaped = escape_attribute(value);
  for (auto& [existing, old_value] : attributes_) {
    if (existing == name) {
      old_value = std::move(escaped);
      return *this;
    }
  }
  attributes_.emplace_back(std::string(name), std::move(escaped));
  return *this;
}

SvgElement& SvgElement::set(std::string_view name, double value, int decimals) {
  if (!std::isfinite(value)) {
    throw UsageError("svg: attribute '" + std::string(name) + "' of <" + tag_ + "> is " +
                     describe_number(value) + ", but must be finite");
  }
  return set(name, std::string_view(format_fixed(value, decimals)));
}

SvgElement& SvgElement::set(std::string_view name, int value) {
  return set(name, std::string_view(std::to_string(value)));
}

SvgElement& SvgElement::text(std::string_view text) {
  content_ += escape_text(text);
  return *this;
}

SvgElement& SvgElement::add(const SvgElement& child) {
  content_ += child.str();
  return *this;
}

std::string SvgElement::str() const {
  std::string out = "<" + tag_;
  for (const auto& [name, value] : attributes_) {
    out += ' ';
    out += name;
    out += "=\"";
    out += value;
    out += '"';
  }
  if (content_.empty()) {
    out += "/>";
  } else {
    out += '>';
    out += content_;
    out += "</" + tag_ + ">";
  }
  return out;
}

}  // namespace clvkit::report
