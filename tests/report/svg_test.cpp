#include "clvkit/report/svg.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using clvkit::UsageError;
using namespace clvkit::report;

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

// Step of an evenly spaced tick vector, checked to be 1, 2 or 5 times a power of ten.
bool is_one_two_five(double step) {
  const double power = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double mantissa = step / power;
  return std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
         std::abs(mantissa - 5) < 1e-9;
}

// WCAG relative luminance of "#rrggbb", written independently of the library's.
double relative_luminance(const std::string& hex) {
  const auto channel = [&](int i) {
    const double s = std::stoi(hex.substr(static_cast<std::size_t>(i), 2), nullptr, 16) / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

}  // namespace

TEST_CASE("escape_text escapes & < > and keeps quotes and UTF-8", "[svg][report]") {
  CHECK(escape_text("R&D <b> x>y") == "R&amp;D &lt;b&gt; x&gt;y");
  CHECK(escape_text("Can't \"Lose\" Them") == "Can't \"Lose\" Them");
  CHECK(escape_text("Łódź 新客户") == "Łódź 新客户");
  CHECK(escape_text("&amp;") == "&amp;amp;");  // already-escaped text is escaped again
  CHECK(escape_text("") == "");
}

TEST_CASE("escape_attribute also escapes both quotes and keeps whitespace as written",
          "[svg][report]") {
  CHECK(escape_attribute("Can't \"Lose\" & <go>") == "Can&#39;t &quot;Lose&quot; &amp; &lt;go&gt;");
  CHECK(escape_attribute("a\tb\nc\rd") == "a&#9;b&#10;c&#13;d");
}

TEST_CASE("escaping replaces invalid UTF-8 and drops control characters", "[svg][report]") {
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(escape_text("a\xFF"
                    "b") == "a" + replacement + "b");
  CHECK(escape_text("\xC3") == replacement);                    // truncated sequence
  CHECK(escape_text("\xC0\xAF") == replacement + replacement);  // overlong '/'
  CHECK(escape_text("\xED\xA0\x80") == replacement + replacement + replacement);  // surrogate
  CHECK(escape_text(std::string("a\0b\x01\x1B\x7F", 6) + "c") == "abc");
  CHECK(escape_text("tab\tnewline\n") == "tab\tnewline\n");
  CHECK(escape_text("\xF0\x9F\x93\x88") == "\xF0\x9F\x93\x88");  // 4-byte emoji kept
}

TEST_CASE("format_fixed prints fixed decimals without trailing zeros", "[svg][report]") {
  CHECK(format_fixed(2.5, 2) == "2.5");
  CHECK(format_fixed(2.0, 2) == "2");
  CHECK(format_fixed(1.0 / 3.0, 3) == "0.333");
  CHECK(format_fixed(2.675, 0) == "3");
  CHECK(format_fixed(-0.001, 2) == "0");
  CHECK(format_fixed(-0.0, 2) == "0");
  CHECK(format_fixed(-12.345, 1) == "-12.3");
  CHECK(format_fixed(1653, 2) == "1653");
  CHECK(format_fixed(1e20, 0) == "100000000000000000000");
  CHECK(format_fixed(0.5, -3) == "0");    // decimals clamped to 0 (round half to even)
  CHECK(format_fixed(0.1, 40) == "0.1");  // ... and to 9
}

TEST_CASE("format_fixed refuses non-finite numbers", "[svg][report][inputcheck]") {
  CHECK_THROWS_AS(format_fixed(nan_value, 2), UsageError);
  CHECK_THROWS_WITH(format_fixed(inf_value, 2), Catch::Contains("inf"));
  CHECK_THROWS_WITH(format_label(-inf_value, 0), Catch::Contains("-inf"));
}

TEST_CASE("format_label groups thousands", "[svg][report]") {
  CHECK(format_label(0, 0) == "0");
  CHECK(format_label(999, 0) == "999");
  CHECK(format_label(1000, 0) == "1,000");
  CHECK(format_label(1653.5, 1) == "1,653.5");
  CHECK(format_label(-12000, 0) == "-12,000");
  CHECK(format_label(1234567.891, 2) == "1,234,567.89");
  CHECK(format_label(-999.6, 0) == "-1,000");
}

TEST_CASE("format_label keeps its decimals so a column of labels lines up", "[svg][report]") {
  CHECK(format_label(0.8, 2) == "0.80");
  CHECK(format_label(12, 1) == "12.0");
  CHECK(format_label(-0.001, 2) == "0.00");
  CHECK(format_label(-0.0, 0) == "0");
  CHECK(format_label(-0.006, 2) == "-0.01");
}

TEST_CASE("shortest_decimals finds the decimals a tick needs", "[svg][report]") {
  CHECK(shortest_decimals(3) == 0);
  CHECK(shortest_decimals(10000) == 0);
  CHECK(shortest_decimals(0.1) == 1);
  CHECK(shortest_decimals(0.35) == 2);
  CHECK(shortest_decimals(0.002) == 3);
  CHECK(shortest_decimals(1.0 / 3.0) == 9);
}

TEST_CASE("nice_step rounds to 1, 2 or 5 times a power of ten", "[svg][report]") {
  CHECK(nice_step(1653, 5) == 500);
  CHECK(nice_step(1, 5) == Approx(0.2));
  CHECK(nice_step(100, 10) == 10);
  CHECK(nice_step(0.07, 5) == Approx(0.01));
  CHECK(nice_step(78, 6) == 10);
  CHECK_THROWS_AS(nice_step(0, 5), UsageError);
  CHECK_THROWS_AS(nice_step(nan_value, 5), UsageError);
  CHECK_THROWS_WITH(nice_step(10, 0), Catch::Contains("target count is 0"));
}

TEST_CASE("step_decimals gives the decimals a step needs", "[svg][report]") {
  CHECK(step_decimals(500) == 0);
  CHECK(step_decimals(1) == 0);
  CHECK(step_decimals(0.5) == 1);
  CHECK(step_decimals(0.2) == 1);
  CHECK(step_decimals(0.1) == 1);
  CHECK(step_decimals(0.05) == 2);
  CHECK(step_decimals(0.001) == 3);
}

TEST_CASE("nice_axis 0..1653 gives 0, 500, ..., 2000", "[svg][report]") {
  const AxisTicks axis = nice_axis(0, 1653);
  CHECK(axis.lo == 0);
  CHECK(axis.hi == 2000);
  CHECK(axis.step == 500);
  CHECK(axis.decimals == 0);
  CHECK(axis.values == std::vector<double>{0, 500, 1000, 1500, 2000});
}

TEST_CASE("nice_ticks 0..1653 stays inside the range", "[svg][report]") {
  CHECK(nice_ticks(0, 1653) == std::vector<double>{0, 500, 1000, 1500});
  CHECK(nice_ticks(0, 1653, 10) ==
        std::vector<double>{0, 200, 400, 600, 800, 1000, 1200, 1400, 1600});
  CHECK(nice_ticks(3.2, 3.2) == std::vector<double>{3.2});
}

TEST_CASE("decimal ticks are exact multiples that print cleanly", "[svg][report]") {
  const AxisTicks axis = nice_axis(0, 1);
  REQUIRE(axis.values.size() == 6);
  CHECK(axis.values[3] == 0.6);  // 3 * 2 / 10, not 3 * 0.2 = 0.6000000000000001
  std::vector<std::string> labels;
  for (double t : axis.values) labels.push_back(format_label(t, axis.decimals));
  CHECK(labels == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  CHECK(nice_axis(0, 0.3, 3).values == std::vector<double>{0, 0.1, 0.2, 0.3});
}

TEST_CASE("nice_axis handles negative and zero-width ranges", "[svg][report]") {
  const AxisTicks negative = nice_axis(-37, 112);
  CHECK(negative.lo == -40);
  CHECK(negative.hi == 120);
  CHECK(negative.step == 20);
  CHECK(nice_axis(0, 0).values == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1});
  const AxisTicks five = nice_axis(5, 5);
  CHECK(five.lo == 0);
  CHECK(five.hi == 5);
  const AxisTicks minus = nice_axis(-3, -3);
  CHECK(minus.lo == -3);
  CHECK(minus.hi == 0);
}

TEST_CASE("nice_axis rejects bad ranges", "[svg][report][inputcheck]") {
  CHECK_THROWS_WITH(nice_axis(2, 1), Catch::Contains("lo <= hi"));
  CHECK_THROWS_AS(nice_axis(0, nan_value), UsageError);
  CHECK_THROWS_AS(nice_axis(-inf_value, 0), UsageError);
  CHECK_THROWS_AS(nice_ticks(0, 1, 0), UsageError);
}

TEST_CASE("nice_axis covers any range with a few 1-2-5 ticks", "[svg][report][property]") {
  // Deterministic sweep over magnitudes and offsets instead of random ranges.
  for (int e = -6; e <= 9; ++e) {
    for (double m : {1.0, 1.3, 1.653, 2.5, 3.7, 4.99, 7.2, 9.99}) {
      for (double offset : {0.0, -0.5, 0.3, -1.2}) {
        const double span = m * std::pow(10.0, e);
        const double lo = offset * span;
        const double hi = lo + span;
        const AxisTicks axis = nice_axis(lo, hi, 5);
        CAPTURE(lo, hi, axis.step, axis.values.size());
        // Ends may miss the data by rounding noise (-1.2 + 1 is -0.19999999999999996, and the
        // axis ends at -0.2): nice_axis snaps within 1e-9 of a step.
        CHECK(axis.lo <= lo + 1e-9 * axis.step);
        CHECK(axis.hi >= hi - 1e-9 * axis.step);
        CHECK(axis.values.size() >= 3);
        CHECK(axis.values.size() <= 12);
        CHECK(is_one_two_five(axis.step));
        for (std::size_t i = 1; i < axis.values.size(); ++i) {
          CHECK(axis.values[i] - axis.values[i - 1] == Approx(axis.step).epsilon(1e-9));
        }
        // Labels at the axis decimals are distinct (no two ticks print the same).
        for (std::size_t i = 1; i < axis.values.size(); ++i) {
          CHECK(format_fixed(axis.values[i], axis.decimals) !=
                format_fixed(axis.values[i - 1], axis.decimals));
        }
      }
    }
  }
}

TEST_CASE("log_ticks uses 1-2-5 within few decades and powers of ten beyond", "[svg][report]") {
  CHECK(log_ticks(1, 1000) == std::vector<double>{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000});
  CHECK(log_ticks(0.5, 1e6) == std::vector<double>{1, 10, 100, 1000, 1e4, 1e5, 1e6});
  const std::vector<double> small = log_ticks(0.01, 0.1);
  REQUIRE(small.size() == 4);
  CHECK(small[0] == 0.01);
  CHECK(small[1] == 0.02);
  CHECK(small[3] == 0.1);
  CHECK(log_ticks(3, 4) == nice_ticks(3, 4, 4));  // no 1-2-5 tick inside: linear fallback
  CHECK(log_ticks(1e-10, 1e20).size() <= 16);
  CHECK_THROWS_WITH(log_ticks(0, 10), Catch::Contains("positive"));
  CHECK_THROWS_AS(log_ticks(-1, 10), UsageError);
}

TEST_CASE("LinearScale and LogScale map domain ends to range ends", "[svg][report]") {
  const LinearScale y(0, 2000, 300, 50);
  CHECK(y(0) == 300);
  CHECK(y(2000) == 50);
  CHECK(y(1000) == 175);
  CHECK(LinearScale(5, 5, 0, 100)(5) == 50);
  const LogScale x(1, 1000, 0, 300);
  CHECK(x(1) == Approx(0).margin(1e-12));
  CHECK(x(10) == Approx(100));
  CHECK(x(1000) == Approx(300));
  CHECK_THROWS_AS(LogScale(0, 10, 0, 1), UsageError);
  CHECK_THROWS_WITH(x(0), Catch::Contains("not positive"));
}

TEST_CASE("text_width counts wide characters double and truncate_text fits the width",
          "[svg][report]") {
  CHECK(text_width("新客户", 10) == Approx(30));
  CHECK(text_width("abcd", 10) > 15);
  CHECK(text_width("abcd", 10) < 30);
  CHECK(text_width("abcd", 20) == Approx(2 * text_width("abcd", 10)));
  CHECK(text_width("iiii", 10) < text_width("mmmm", 10));
  CHECK(text_width("Łódź", 10) < 30);  // 4 code points, not 7 bytes
  CHECK(text_width("", 10) == 0);
  CHECK(truncate_text("short", 100, 12) == "short");
  const std::string cut = truncate_text("Customers we must not lose", 60, 12);
  CHECK(cut.size() < std::string("Customers we must not lose").size());
  CHECK(cut.ends_with("…"));
  CHECK(text_width(cut, 12) <= 60);
  // Never splits a multi-byte character.
  const std::string cjk = truncate_text("新客户新客户新客户", 40, 12);
  CHECK(cjk == "新客…");
  CHECK(escape_text(cjk) == cjk);
}

TEST_CASE("categorical colours are Okabe-Ito and wrap around", "[svg][report]") {
  CHECK(categorical_colour(0) == "#0072b2");
  CHECK(categorical_colour(1) == "#e69f00");
  CHECK(categorical_colour(8) == categorical_colour(0));
}

TEST_CASE("sequential colours run from viridis purple to yellow with rising luminance",
          "[svg][report][property]") {
  CHECK(sequential_colour(0) == "#440154");
  CHECK(sequential_colour(1) == "#fde725");
  CHECK(sequential_colour(-3) == "#440154");
  CHECK(sequential_colour(7) == "#fde725");
  CHECK(sequential_colour(nan_value) == "#440154");
  // Lightness must increase along the scale: it is what keeps viridis readable in greyscale
  // and with colour-vision deficiencies.
  CHECK(contrasting_text_colour(sequential_colour(0.0)) == "#ffffff");
  CHECK(contrasting_text_colour(sequential_colour(1.0)) == "#000000");
  double previous = -1;
  for (int i = 0; i <= 200; ++i) {
    const std::string c = sequential_colour(i / 200.0);
    const double l = relative_luminance(c);
    CAPTURE(i, c, l, previous);
    CHECK(l > previous);
    previous = l;
  }
}

TEST_CASE("contrasting_text_colour picks the readable one of black and white", "[svg][report]") {
  CHECK(contrasting_text_colour("#440154") == "#ffffff");
  CHECK(contrasting_text_colour("#fde725") == "#000000");
  CHECK(contrasting_text_colour("#FFFFFF") == "#000000");
  CHECK(contrasting_text_colour("#000000") == "#ffffff");
  CHECK_THROWS_WITH(contrasting_text_colour("red"), Catch::Contains("'red'"));
  CHECK_THROWS_AS(contrasting_text_colour("#12345g"), UsageError);
}

TEST_CASE("SvgElement writes attributes in order, escaped, and closes empty elements",
          "[svg][report]") {
  SvgElement rect("rect");
  rect.set("class", "bar").set("x", 10.0).set("width", 12.346).set("y", 0);
  CHECK(rect.str() == R"(<rect class="bar" x="10" width="12.35" y="0"/>)");
  rect.set("x", 11.5);  // replaced in place
  CHECK(rect.str() == R"(<rect class="bar" x="11.5" width="12.35" y="0"/>)");

  SvgElement text("text");
  text.set("aria-label", "Can't & \"Lose\"").text("a < b & c > d");
  CHECK(text.str() ==
        R"(<text aria-label="Can&#39;t &amp; &quot;Lose&quot;">a &lt; b &amp; c &gt; d</text>)");

  SvgElement g("g");
  g.add(rect).add(text);
  CHECK(g.str() == "<g>" + rect.str() + text.str() + "</g>");
  CHECK(SvgElement("g").str() == "<g/>");
}

TEST_CASE("SvgElement numbers are fixed-decimal and deterministic", "[svg][report]") {
  SvgElement c("circle");
  c.set("cx", 1.0 / 3.0).set("cy", 2.0 / 3.0, 4).set("r", 5);
  CHECK(c.str() == R"(<circle cx="0.33" cy="0.6667" r="5"/>)");
}

TEST_CASE("SvgElement rejects bad names and non-finite numbers", "[svg][report][inputcheck]") {
  CHECK_THROWS_WITH(SvgElement("a b"), Catch::Contains("'a b'"));
  CHECK_THROWS_AS(SvgElement(""), UsageError);
  CHECK_THROWS_AS(SvgElement("1rect"), UsageError);
  SvgElement rect("rect");
  CHECK_THROWS_WITH(rect.set("on\"click", "x"), Catch::Contains("attribute name"));
  CHECK_THROWS_WITH(rect.set("width", nan_value),
                    Catch::Contains("'width'") && Catch::Contains("NaN"));
  CHECK_THROWS_AS(rect.set("x", inf_value), UsageError);
  CHECK_NOTHROW(rect.set("data-chart", "bar").set("aria-label", "x").set("xml:lang", "pl"));
}
