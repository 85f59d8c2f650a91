// The report in a real browser (ctest label "browser"): `clvkit report` on the bundled CDNOW log,
// opened in headless Chromium (Debian package `chromium`). Checks that every chart is in the
// rendered DOM with a non-zero size, that the page loaded nothing from anywhere and ran no script,
// and saves a full-page screenshot to the build directory (report-screenshot.png, next to
// report-cdnow.html) for people to look at. The same for the report in Spanish, Polish and
// Chinese (`--lang es|pl|zh`: report-screenshot-es.png, report-cdnow-es.html, ...); the Chinese
// one also needs a font with CJK glyphs (fonts-noto-cjk, which tools/setup installs), checked with
// fontconfig, so that the screenshot shows characters rather than empty boxes.
//
// The report itself has no script. To measure it, the test writes a wrapper page into its temp
// directory that loads the report in an <iframe> and, once loaded, writes each chart's
// getBoundingClientRect() and the frame's resource and script counts into its own DOM, which
// --dump-dom prints. Chromium only lets one file:// page read another's DOM with
// --allow-file-access-from-files, which is given to the wrapper run only.
//
// Chromium missing is a failure, not a skip: CI installs it (tools/setup). Set CLVKIT_CHROMIUM to
// use another binary.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../cli/cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::TempDir;
using clvkit::test::write_text;

// Every figure of a report made with --calibration-end, in page order (the model comparison's
// tracking chart is there because more than one purchase model is registered).
const std::vector<std::string> expected_figures = {"segment-sizes",
                                                   "rf-heatmap",
                                                   "segment-sizes-over-time",
                                                   "segment-flows",
                                                   "transition-matrix",
                                                   "p-alive-matrix",
                                                   "expected-purchases-matrix",
                                                   "calibration-fit",
                                                   "tracking-cumulative",
                                                   "tracking-weekly",
                                                   "conditional-expectation",
                                                   "model-comparison-tracking",
                                                   "clv-distribution",
                                                   "segment-value",
                                                   "forecast-revenue",
                                                   "forecast-purchases"};

constexpr int window_width = 1400;

std::string find_chromium() {
  if (const char* given = std::getenv("CLVKIT_CHROMIUM"); given != nullptr && *given != '\0') {
    return given;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::filesystem::path candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

// Runs headless Chromium on `url` with a fresh profile in `dir`; `mode` is "--dump-dom" or
// "--screenshot=PATH". Standard output goes to `out`, the (noisy) standard error to `err`.
int run_chromium(const std::string& chromium, const TempDir& dir, const std::string& profile,
                 const std::string& mode, const std::string& extra, int height,
                 const std::string& url, const std::string& out, const std::string& err) {
  const std::string command =
      "timeout 120 \"" + chromium +
      "\" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--disable-dev-shm-usage --hide-scrollbars --user-data-dir=\"" +
      dir.file(profile) + "\" " + extra + " --window-size=" + std::to_string(window_width) + "," +
      std::to_string(height) + " \"" + mode + "\" \"" + url + "\" >\"" + out + "\" 2>\"" + err +
      "\"";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The last lines of a file, for failure messages.
std::string tail(const std::string& path, std::size_t max_chars = 2000) {
  const std::string text = read_text(path);
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

// The wrapper page: measures the report in an iframe and writes one line per figure into
// <pre id="result">. No network either: the iframe's src is a relative file name.
std::string wrapper_page() {
  return R"html(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>measure</title></head>
<body style="margin:0">
<iframe id="report" src="report.html" style="width:)html" +
         std::to_string(window_width) + R"html(px;height:1000px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
window.addEventListener('load', function () {
  var out = [];
  try {
    var frame = document.getElementById('report');
    var doc = frame.contentDocument;
    out.push('page ' + Math.ceil(doc.documentElement.scrollHeight));
    out.push('scripts ' + doc.getElementsByTagName('script').length);
    out.push('resources ' + frame.contentWindow.performance.getEntriesByType('resource').length);
    doc.querySelectorAll('figure[data-figure]').forEach(function (figure) {
      var svgs = figure.querySelectorAll('svg[data-chart]');
      var svg = svgs[0];
      var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      var title = svg ? svg.querySelector('.chart-title') : null;
      var marks = svg ? svg.querySelectorAll('.bar, .cell, .line, .point, .interval, .flow').length : 0;
      var caption = figure.querySelector('figcaption');
      out.push(['figure', figure.getAttribute('data-figure'), svgs.length,
                Math.round(box.width), Math.round(box.height), marks,
                title ? Math.round(title.getBBox().width) : 0,
                caption ? Math.round(caption.getBoundingClientRect().height) : 0].join(' '));
    });
  } catch (e) {
    out.push('error ' + e);
  }
  document.getElementById('result').textContent = out.join('\n');
});
</script>
</body></html>
)html";
}

struct Measure {
  int svgs = 0, width = 0, height = 0, marks = 0, title_width = 0, caption_height = 0;
};

// PNG width and height from the IHDR chunk, or {0, 0} when `bytes` is not a PNG.
std::pair<unsigned, unsigned> png_size(const std::string& bytes) {
  const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 || bytes.compare(12, 4, "IHDR")) {
    return {0, 0};
  }
  const auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(bytes[at + k]);
    return v;
  };
  return {be32(16), be32(20)};
}

// The report of CDNOW in `language` ("en", "es", "pl", "zh") rendered and measured in headless
// Chromium, its HTML and a full-page screenshot kept in the build directory under names ending in
// `suffix` ("" for English, "-es", ...).
void check_report_in_browser(const std::string& language, const std::string& suffix) {
  const std::string chromium = find_chromium();
  if (chromium.empty() || ::access(chromium.c_str(), X_OK) != 0) {
    FAIL("chromium not found" << (chromium.empty() ? " on PATH" : " at " + chromium)
                              << ": install the Debian package 'chromium' (tools/setup does) or "
                                 "set CLVKIT_CHROMIUM to a Chromium binary; this test must not "
                                 "pass without a browser");
  }
  TempDir dir;
  const std::string report = dir.file("report.html");
  const auto made = clvkit::test::run_cli(
      "report data/cdnow.csv --calibration-end 1997-09-30 --currency USD --every quarter "
      "--upgrade --lang " +
          language + " -o \"" + report + "\"",
      dir);
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const std::string html = read_text(report);
  std::filesystem::copy_file(
      report, std::string(CLVKIT_BROWSER_OUTPUT_DIR) + "/report-cdnow" + suffix + ".html",
      std::filesystem::copy_options::overwrite_existing);

  // 1. The report as Chromium parsed it: every chart in the DOM.
  const std::string dom = dir.file("report.dom");
  const std::string dom_err = dir.file("report.dom.err");
  const std::string report_url = "file://" + report;
  int code =
      run_chromium(chromium, dir, "profile-dom", "--dump-dom", "", 1000, report_url, dom, dom_err);
  INFO("chromium --dump-dom: exit " << code << "\n" << tail(dom_err));
  REQUIRE(code == 0);
  const std::string rendered = read_text(dom);
  CHECK(rendered.find("<html lang=\"" + std::string(language == "zh" ? "zh-CN" : language) +
                      "\"") != std::string::npos);
  CHECK(rendered.find("<section id=\"upgrade\"") != std::string::npos);  // --upgrade's tables
  for (const std::string& name : expected_figures) {
    CAPTURE(name);
    const std::size_t figure = rendered.find("data-figure=\"" + name + "\"");
    REQUIRE(figure != std::string::npos);
    CHECK(rendered.find("<svg data-chart=\"", figure) < rendered.find("</figure>", figure));
  }

  // 2. Sizes, from the wrapper page.
  write_text(dir.file("measure.html"), wrapper_page());
  const std::string measured = dir.file("measure.dom");
  const std::string measured_err = dir.file("measure.err");
  code =
      run_chromium(chromium, dir, "profile-measure", "--dump-dom", "--allow-file-access-from-files",
                   1000, "file://" + dir.file("measure.html"), measured, measured_err);
  INFO("chromium --dump-dom (measure): exit " << code << "\n" << tail(measured_err));
  REQUIRE(code == 0);
  const std::string page = read_text(measured);
  const std::size_t start = page.find("<pre id=\"result\">");
  REQUIRE(start != std::string::npos);
  const std::string result = page.substr(start + 17, page.find("</pre>", start) - start - 17);
  INFO("measured:\n" << result);
  REQUIRE(result.find("error") == std::string::npos);
  REQUIRE(result.find("pending") == std::string::npos);

  std::map<std::string, Measure> figures;
  int page_height = 0, scripts = -1, resources = -1;
  std::istringstream lines(result);
  std::string line;
  std::vector<std::string> order;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "page") fields >> page_height;
    if (kind == "scripts") fields >> scripts;
    if (kind == "resources") fields >> resources;
    if (kind == "figure") {
      std::string name;
      Measure m;
      fields >> name >> m.svgs >> m.width >> m.height >> m.marks >> m.title_width >>
          m.caption_height;
      figures[name] = m;
      order.push_back(name);
    }
  }
  CHECK(scripts == 0);
  CHECK(resources == 0);  // nothing fetched: no images, fonts, style sheets or scripts
  CHECK(order == expected_figures);
  for (const std::string& name : expected_figures) {
    CAPTURE(name);
    const Measure& m = figures[name];
    CHECK(m.svgs == 1);
    CHECK(m.width >= 400);  // half-width charts are about 600 px at a 1400 px window
    CHECK(m.height >= 200);
    CHECK(m.marks > 0);         // bars, cells, lines, points, intervals or flows drawn
    CHECK(m.title_width > 50);  // text laid out with a real font
    CHECK(m.caption_height > 0);
  }
  REQUIRE(page_height > 2000);

  // 3. A full-page screenshot, kept in the build directory.
  const std::string png =
      std::string(CLVKIT_BROWSER_OUTPUT_DIR) + "/report-screenshot" + suffix + ".png";
  std::filesystem::remove(png);
  const int height = std::min(page_height + 40, 16000);
  const std::string shot_out = dir.file("shot.out");
  const std::string shot_err = dir.file("shot.err");
  code = run_chromium(chromium, dir, "profile-shot", "--screenshot=" + png, "", height, report_url,
                      shot_out, shot_err);
  INFO("chromium --screenshot: exit " << code << "\n" << tail(shot_err));
  REQUIRE(code == 0);
  REQUIRE(std::filesystem::exists(png));
  const std::string bytes = read_text(png);
  const auto [png_width, png_height] = png_size(bytes);
  CHECK(png_width == static_cast<unsigned>(window_width));
  CHECK(png_height == static_cast<unsigned>(height));
  // A blank or failed page compresses to a few KB; the report's charts and tables take far more.
  CHECK(bytes.size() > 300u * 1024u);
  WARN("screenshot: " << png << " (" << png_width << "x" << png_height << ", "
                      << bytes.size() / 1024 << " KB)");
}

}  // namespace

TEST_CASE("report for CDNOW renders every chart in headless Chromium and saves a screenshot",
          "[report][browser]") {
  check_report_in_browser("en", "");
}

TEST_CASE(
    "report for CDNOW in Spanish renders every chart in headless Chromium and saves a "
    "screenshot",
    "[report][browser][language]") {
  check_report_in_browser("es", "-es");
}

TEST_CASE(
    "report for CDNOW in Polish renders every chart in headless Chromium and saves a "
    "screenshot",
    "[report][browser][language]") {
  check_report_in_browser("pl", "-pl");
}

TEST_CASE(
    "report for CDNOW in Chinese renders every chart with CJK glyphs in headless Chromium "
    "and saves a screenshot",
    "[report][browser][language]") {
  // Without a CJK font Chromium draws every Chinese character as an empty box (tofu): the page
  // would still measure, so the font itself is checked (fontconfig, which Chromium uses).
  std::string fonts;
  if (FILE* pipe = ::popen("fc-list :lang=zh family 2>/dev/null", "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
      fonts.append(buffer, n);
    ::pclose(pipe);
  }
  INFO("fc-list :lang=zh: " << fonts);
  if (fonts.find("CJK") == std::string::npos && fonts.find("WenQuanYi") == std::string::npos) {
    FAIL(
        "no font with Chinese glyphs (fc-list :lang=zh): install fonts-noto-cjk (tools/setup "
        "does) or fonts-wqy-zenhei");
  }
  check_report_in_browser("zh", "-zh");
}
