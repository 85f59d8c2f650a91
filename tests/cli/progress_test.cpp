// The progress line: drawn in place when enabled, silent otherwise (pipelines never see it).

#include "progress.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

namespace {
std::string contents(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[256];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}
}  // namespace

TEST_CASE("a disabled progress line prints nothing", "[io][progress]") {
  std::FILE* file = std::tmpfile();
  {
    clvkit::ProgressLine progress(file, false, "clvkit run");
    progress.rows(1 << 20);
    progress.stage("fitting models");
  }
  CHECK(contents(file).empty());
  std::fclose(file);
}

TEST_CASE("a file is not a terminal, so for_terminal stays silent", "[io][progress]") {
  std::FILE* file = std::tmpfile();
  CHECK_FALSE(clvkit::ProgressLine::for_terminal(file, false, "clvkit run").enabled());
  std::fclose(file);
}

TEST_CASE("an enabled progress line redraws in place and clears itself", "[io][progress]") {
  std::FILE* file = std::tmpfile();
  {
    clvkit::ProgressLine progress(file, true, "clvkit run");
    progress.rows(12'600'000);
    progress.stage("fitting models");
  }
  const std::string text = contents(file);
  CHECK(text.find("\rclvkit run: reading, 12.6M rows") == 0);
  CHECK(text.find("\rclvkit run: fitting models\033[K") != std::string::npos);
  CHECK(text.substr(text.size() - 4) == "\r\033[K");  // cleared at the end
  std::fclose(file);
}

TEST_CASE("counts are written for people", "[io][progress]") {
  CHECK(clvkit::format_count(999) == "999");
  CHECK(clvkit::format_count(950'000) == "950k");
  CHECK(clvkit::format_count(12'600'000) == "12.6M");
}

TEST_CASE("the activity names what the counted rows are for", "[io][progress]") {
  std::FILE* file = std::tmpfile();
  {
    clvkit::ProgressLine progress(file, true, "clvkit run");
    progress.rows(5'000'000);
    progress.activity("reading again for the days of 950k customers");
    progress.rows(1'000);
  }
  const std::string text = contents(file);
  CHECK(text.find("\rclvkit run: reading, 5.0M rows") == 0);
  CHECK(text.find("\rclvkit run: reading again for the days of 950k customers, 1000 rows") !=
        std::string::npos);
  std::fclose(file);
}
