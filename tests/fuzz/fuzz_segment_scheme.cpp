// Fuzzes the segment-scheme loader (parse_segment_scheme) with JSON text. Properties: it either
// loads or throws InputError (what its header documents), never another exception (a
// nlohmann::json exception or std::out_of_range escaping is a finding), and never crashes; a
// loaded scheme assigns every score cell to one of its segments.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/rfm/segments.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<clvkit::SegmentScheme> scheme;
  try {
    scheme.emplace(clvkit::parse_segment_scheme(text, "fuzz.json"));
  } catch (const clvkit::InputError&) {
    return 0;  // anything else thrown escapes: libFuzzer reports it as a finding
  }
  const int bins = scheme->bins();  // 2..9 (the constructor refuses others): at most 729 cells
  const auto segments = static_cast<int>(scheme->segments().size());
  clvkit::fuzz::require(bins >= 1 && segments >= 1, "a loaded scheme has bins and segments");
  for (int r = 1; r <= bins; ++r) {
    for (int f = 1; f <= bins; ++f) {
      for (int m = 1; m <= bins; ++m) {
        const clvkit::RfmScore score{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(f),
                                     static_cast<std::uint8_t>(m)};
        const int index = scheme->segment_of(score);
        clvkit::fuzz::require(index >= 0 && index < segments,
                              "every score cell is in one of the scheme's segments",
                              std::to_string(r) + std::to_string(f) + std::to_string(m));
      }
    }
  }
  return 0;
}
