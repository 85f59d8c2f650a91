#include "progress.hpp"

#include <unistd.h>

#include <utility>

namespace clvkit {

std::string format_count(double count) {
  char buffer[32];
  if (count >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.1fM", count / 1e6);
  } else if (count >= 1e4) {
    std::snprintf(buffer, sizeof buffer, "%.0fk", count / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f", count);
  }
  return buffer;
}

ProgressLine::ProgressLine(std::FILE* stream, bool enabled, std::string label)
    : stream_(stream),
      enabled_(enabled && stream != nullptr),
      label_(std::move(label)),
      start_(std::chrono::steady_clock::now()) {}

ProgressLine ProgressLine::for_terminal(std::FILE* stream, bool quiet, std::string label) {
  return ProgressLine(stream, !quiet && stream != nullptr && ::isatty(::fileno(stream)) == 1,
                      std::move(label));
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::draw(const std::string& text) {
  if (!enabled_) return;
  // \r returns to the line start and ESC[K clears what a longer previous line left behind.
  std::fprintf(stream_, "\r%s: %s\033[K", label_.c_str(), text.c_str());
  std::fflush(stream_);
  drawn_ = true;
}

void ProgressLine::rows(std::int64_t rows_read) {
  if (!enabled_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string text = activity_ + ", " + format_count(static_cast<double>(rows_read)) + " rows";
  if (seconds > 0.0) {
    text += " (" + format_count(static_cast<double>(rows_read) / seconds) + " rows/s)";
  }
  draw(text);
}

void ProgressLine::stage(std::string_view what) { draw(std::string(what)); }

void ProgressLine::activity(std::string what) {
  activity_ = std::move(what);
  start_ = std::chrono::steady_clock::now();
}

void ProgressLine::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stream_, "\r\033[K");
  std::fflush(stream_);
  drawn_ = false;
}

}  // namespace clvkit
