#include "stage_timer.hpp"

#include <sys/resource.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace clvkit::cli {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

StageTimer::StageTimer() : start_(now_seconds()), last_(start_) {}

void StageTimer::lap(std::string_view stage) {
  const double t = now_seconds();
  stages_.emplace_back(std::string(stage), t - last_);
  last_ = t;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  peak_rss_mb_.push_back(static_cast<double>(usage.ru_maxrss) / 1024.0);  // Linux: KiB
}

std::string StageTimer::json() const {
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [name, seconds] : stages_) stages[name] = seconds;
  nlohmann::ordered_json out;
  out["stage_seconds"] = stages;
  out["total_seconds"] = last_ - start_;
  nlohmann::ordered_json rss = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < stages_.size(); ++i) rss[stages_[i].first] = peak_rss_mb_[i];
  out["peak_rss_mb"] = rss;
  return out.dump();
}

}  // namespace clvkit::cli
