#pragma once
// What the hostile-input and fault tests require of whatever clvkit leaves behind: after a
// failure nothing in the output directory (no output, no side file, no hidden temporary file);
// after a success outputs that are well-formed UTF-8 in their format with only finite numbers,
// and metadata whose row accounting reconciles.

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit::test {

/// The format a successful command writes to a file or to standard output.
enum class Format { json, ndjson, csv, html, text };

/// Every entry of `dir`, hidden ones included, by name.
inline std::vector<std::string> entries_of(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

/// A failed command left nothing in its output directory.
inline void check_nothing_left(const std::filesystem::path& dir) {
  for (const std::string& name : entries_of(dir)) {
    CAPTURE(name);
    FAIL_CHECK("left in the output directory after a failure");
  }
}

inline void check_finite_numbers(const nlohmann::json& value, const std::string& where) {
  if (value.is_number_float()) {
    CAPTURE(where);
    CHECK(std::isfinite(value.get<double>()));
  } else if (value.is_structured()) {
    for (const auto& [key, item] : value.items()) check_finite_numbers(item, where + "/" + key);
  }
}

// A metadata object's row accounting, where it has one (input.rows), must reconcile.
inline void check_metadata(const nlohmann::json& metadata) {
  if (!metadata.is_object() || !metadata.contains("input")) return;
  const nlohmann::json& input = metadata["input"];
  if (input.contains("rows") && input["rows"].is_object()) {
    CHECK(input["rows"].value("reconciles", false));
  }
}

inline nlohmann::json parse_json_or_fail(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    CAPTURE(what, error.what());
    FAIL("not valid JSON");
  }
  return {};
}

/// `text`, written as `format`, is well-formed UTF-8 and well-formed in its format, with only
/// finite numbers (JSON cannot spell NaN or inf; in CSV a field "nan" or "inf" is refused).
inline void check_output_text(const std::string& text, Format format, const std::string& what) {
  CAPTURE(what);
  REQUIRE(is_valid_utf8(text));
  switch (format) {
    case Format::json: {
      const nlohmann::json document = parse_json_or_fail(text, what);
      check_finite_numbers(document, what);
      if (document.is_object() && document.contains("metadata")) {
        check_metadata(document["metadata"]);
      } else {
        check_metadata(document);  // a side file, or a model file's calibration
      }
      break;
    }
    case Format::ndjson: {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty()) check_finite_numbers(parse_json_or_fail(line, what), what);
      }
      break;
    }
    case Format::csv: {
      std::istringstream in(text);
      CsvReader reader(in, what, ',');
      REQUIRE(reader.next());
      const std::size_t fields = reader.size();
      while (reader.next()) {
        CAPTURE(reader.line());
        REQUIRE(reader.size() == fields);
        for (const std::string_view field : reader.fields()) {
          std::string lower(field);
          for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (!lower.empty() && (lower.front() == '-' || lower.front() == '+')) lower.erase(0, 1);
          CAPTURE(field);
          CHECK(lower != "nan");
          CHECK(lower != "inf");
          CHECK(lower != "infinity");
        }
      }
      break;
    }
    case Format::html:
    case Format::text:
      break;
  }
}

/// A directory that the command under test cannot write: a read-only tmpfs mounted on it when
/// the tests run as root (root writes through permission bits), else permission bits.
class ReadOnlyDirectory {
 public:
  explicit ReadOnlyDirectory(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    if (::geteuid() == 0) {
      mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", MS_RDONLY, "size=64k") == 0;
    } else {
      ::chmod(path_.c_str(), 0555);
    }
  }
  ~ReadOnlyDirectory() {
    if (mounted_) {
      ::umount(path_.c_str());
    } else {
      ::chmod(path_.c_str(), 0755);
    }
  }
  ReadOnlyDirectory(const ReadOnlyDirectory&) = delete;
  ReadOnlyDirectory& operator=(const ReadOnlyDirectory&) = delete;
  /// False when root could not mount (the directory is then writable for root).
  bool read_only() const noexcept { return mounted_ || ::geteuid() != 0; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

/// A tmpfs of `bytes` mounted on `path` (root only), to fill up; unmounted when the object dies.
class TinyFilesystem {
 public:
  TinyFilesystem(std::filesystem::path path, std::size_t bytes) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    if (::geteuid() == 0) {
      const std::string options = "size=" + std::to_string(bytes);
      mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
  }
  ~TinyFilesystem() {
    if (mounted_) ::umount(path_.c_str());
  }
  TinyFilesystem(const TinyFilesystem&) = delete;
  TinyFilesystem& operator=(const TinyFilesystem&) = delete;
  bool mounted() const noexcept { return mounted_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
};

/// Registers one Catch2 test case (so one ctest) per row of a case table: `run(cases()[i])`,
/// named by the row's `name`, tagged `tag`. `cases` returns the same table on every call.
template <class Case>
bool register_case_table(const std::vector<Case>& (*cases)(), void (*run)(const Case&),
                         const char* tag) {
  class Invoker final : public Catch::ITestInvoker {
   public:
    Invoker(const std::vector<Case>& (*cases)(), void (*run)(const Case&), std::size_t index)
        : cases_(cases), run_(run), index_(index) {}
    void invoke() const override { run_(cases_()[index_]); }

   private:
    const std::vector<Case>& (*cases_)();
    void (*run_)(const Case&);
    std::size_t index_;
  };
  for (std::size_t i = 0; i < cases().size(); ++i) {
    Catch::AutoReg(new Invoker(cases, run, i), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                   Catch::NameAndTags{Catch::StringRef(cases()[i].name), tag});
  }
  return true;
}

}  // namespace clvkit::test
