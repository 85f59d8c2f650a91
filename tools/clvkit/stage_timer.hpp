#pragma once
// Wall time and peak memory of successive stages, printed on stderr by --timings.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clvkit::cli {

/// Wall time of successive stages, printed on stderr by --timings (never in the output files,
/// which must not depend on how fast the machine is).
class StageTimer {
 public:
  StageTimer();
  /// Records the time since the previous lap (or construction) under `stage`, and the process's
  /// peak resident memory so far.
  void lap(std::string_view stage);
  /// {"stage_seconds": {stage: s, ...}, "total_seconds": s, "peak_rss_mb": {stage: MB, ...}}
  /// on one line; a stage's peak RSS is the peak up to its end, so the stage whose figure jumps
  /// is the one that needed the memory.
  std::string json() const;

 private:
  std::vector<std::pair<std::string, double>> stages_;
  std::vector<double> peak_rss_mb_;
  double start_ = 0.0;
  double last_ = 0.0;
};

}  // namespace clvkit::cli
