#pragma once
// The state file of `clvkit run --state` and `clvkit update` (README, "Daily update"): an
// AnalysisState on disk, versioned, checksummed and written atomically.
//
// Layout: a 32-byte header (magic "CLVKSTAT", format version as uint32, 4 zero bytes, payload
// length and the XXH3-64 digest of the payload, both uint64; little-endian), then the payload:
// the settings as JSON (uint64 length, then the text), one 4-byte placement per customer (R, F,
// M scores and segment + 1, 0 = no purchase day), the chunk table (uint64 count, then per chunk
// uint32 customers and uint64 bytes) and the chunks' encoded histories.

#include <nlohmann/json.hpp>
#include <string>

#include "clvkit/analysis/daily_update.hpp"

namespace clvkit {

inline constexpr std::uint32_t kStateFileVersion = 1;

/// A state read back, with the model file document it holds (null without models).
struct StateFile {
  AnalysisState state;
  nlohmann::ordered_json model_document;
};

/// The model file document (output/model_file.hpp) of the state's models, fitted on the state's
/// customers as of its day with `dropout` their identification check; null without models.
nlohmann::ordered_json state_model_document(const AnalysisState& state,
                                            const DropoutIdentification& dropout);

/// Writes `state` (and `model_document`, which an update without refit carries over) to `path`
/// atomically: a temporary file beside it, synced, then renamed over it. Throws IoError.
void write_state_file(const std::string& path, const AnalysisState& state,
                      const nlohmann::ordered_json& model_document);

/// Reads and checks a state file, the histories mapped from it, not copied. Throws IoError when
/// it cannot be read, InputError naming the file when it is not a clvkit state file, another
/// format version, shorter or longer than its header says, fails its checksum, or holds a
/// malformed part (settings, models, placements, histories): a state is used whole or not at all.
StateFile read_state_file(const std::string& path);

}  // namespace clvkit
