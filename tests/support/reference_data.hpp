#pragma once
// Reading the reference tables of tests/data/reference (numeric CSVs with a header), shared by
// the model tests.

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace clvkit::test {

/// The columns of tests/data/reference/<name> by header name. LF or CRLF line ends (the
/// lifetimes copies use CRLF); blank lines are skipped; every cell must be a number.
inline std::map<std::string, std::vector<double>> read_reference_csv(const std::string& name) {
  const std::string path = std::string(CLVKIT_TEST_DATA_DIR) + "/reference/" + name;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  const auto next_line = [&in, &line] {
    if (!std::getline(in, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  };
  REQUIRE(next_line());
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  std::map<std::string, std::vector<double>> columns;
  while (next_line()) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    for (const std::string& h : header) {
      REQUIRE(std::getline(ss, cell, ','));
      columns[h].push_back(std::stod(cell));
    }
  }
  return columns;
}

/// The message of the exception of type E that `f` throws; any other exception escapes and
/// fails the test.
template <typename E, typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception thrown>";
}

}  // namespace clvkit::test
