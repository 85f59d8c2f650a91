#pragma once
// A one-line progress indicator for long runs: rows read, rate and stage, redrawn in place on a
// terminal. Disabled (prints nothing) when its stream is not a terminal or with --quiet, so
// pipelines and logs never see it.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace clvkit {

class ProgressLine {
 public:
  /// Prints to `stream` when `enabled`; `label` starts every line (e.g. "clvkit run").
  ProgressLine(std::FILE* stream, bool enabled, std::string label);
  /// Enabled when `stream` is a terminal and not `quiet`.
  static ProgressLine for_terminal(std::FILE* stream, bool quiet, std::string label);
  ~ProgressLine();

  /// "label: reading, 12.6M rows (8.4M rows/s)"; the word is the current activity.
  void rows(std::int64_t rows_read);
  /// What rows() says is being done from now on, instead of "reading" (e.g. a second pass over
  /// the log); the rate is counted from now.
  void activity(std::string what);
  /// "label: <stage>".
  void stage(std::string_view what);
  /// Clears the line (also done by the destructor).
  void finish();
  bool enabled() const noexcept { return enabled_; }

 private:
  void draw(const std::string& text);

  std::FILE* stream_;
  bool enabled_;
  std::string label_;
  std::string activity_ = "reading";
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

/// "12.6M", "950k", "999": counts for people.
std::string format_count(double count);

}  // namespace clvkit
