#pragma once
// Runs the built clvkit binary (CLVKIT_CLI_PATH) through the shell and captures what it prints,
// for tests of the command-line interface as users see it.

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace clvkit::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "clvkit-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Where standard input comes from when a stdin_path is given: the file itself (seekable, like
/// `clvkit run - < log`) or a pipe from it (`cat log | clvkit run -`), which cannot be read twice.
enum class StdinFrom { file, pipe };

/// Runs `clvkit <arguments>` with the working directory at the repository root (ctest's), with
/// standard output and error captured in files of `dir`.
inline CliResult run_cli(const std::string& arguments, const TempDir& dir,
                         const std::string& stdin_path = "", StdinFrom from = StdinFrom::file) {
  const std::string out = dir.file("cli.stdout");
  const std::string err = dir.file("cli.stderr");
  std::string command = std::string("\"") + CLVKIT_CLI_PATH + "\" " + arguments + " >\"" + out +
                        "\" 2>\"" + err + "\"";
  if (!stdin_path.empty() && from == StdinFrom::pipe) {
    command = "cat \"" + stdin_path + "\" | " + command;
  } else if (!stdin_path.empty()) {
    command += " <\"" + stdin_path + "\"";
  }
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

/// The fields of a CSV line whose fields hold no comma or quote (CDNOW's, clvkit's records),
/// empty ones included (a null upgrade_segment, last on a record, is an empty last field).
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t begin = 0;
  for (std::size_t comma; (comma = line.find(',', begin)) != std::string::npos;
       begin = comma + 1) {
    fields.push_back(line.substr(begin, comma - begin));
  }
  fields.push_back(line.substr(begin));
  return fields;
}

/// customer id (the first column) -> {column name -> value} of such a CSV with a header.
using RecordsById = std::map<std::string, std::map<std::string, std::string>>;
inline RecordsById read_csv_by_id(const std::string& text) {
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv_line(line);
  RecordsById rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split_csv_line(line);
    REQUIRE(fields.size() == header.size());
    for (std::size_t i = 0; i < header.size(); ++i) rows[fields[0]][header[i]] = fields[i];
  }
  return rows;
}

}  // namespace clvkit::test
