// Fuzzes the model-file loader (parse_model_file, the text half of read_model_file). Properties:
// it either loads or throws InputError (its header's promise), never another exception (a
// nlohmann::json type_error escaping is a finding: the CLI would call it an internal error,
// exit 3, instead of bad input, exit 2), and never crashes; a loaded file has a purchase model
// whose parameters are positive and finite, and its metadata for predictions can be written.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/output/model_file.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<clvkit::SavedModel> saved;
  try {
    saved.emplace(clvkit::parse_model_file(text, "fuzz.json"));
  } catch (const clvkit::InputError&) {
    return 0;  // anything else thrown escapes: libFuzzer reports it as a finding
  }
  clvkit::fuzz::require(saved->purchase != nullptr, "a loaded model file has a purchase model");
  for (const double value : saved->purchase->parameters()) {
    clvkit::fuzz::require(std::isfinite(value) && value > 0.0,
                          "a loaded purchase model's parameters are positive and finite",
                          std::to_string(value));
  }
  // What predict writes of it: members the loader checked, so nothing may throw here.
  clvkit::saved_model_metadata("fuzz.json", *saved);
  return 0;
}
