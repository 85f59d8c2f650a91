#pragma once
// Saved fitted models ("clvkit fit -o model.json"): parameters, standard errors, fit summaries,
// time unit and calibration facts, so `clvkit predict` can score other data without refitting.

#include <nlohmann/json.hpp>
#include <string>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

inline constexpr const char* kModelFileFormat = "clvkit-model";
inline constexpr int kModelFileVersion = 1;

/// The JSON document of a model file (format and field list in the README, "Saved models").
nlohmann::ordered_json model_file_json(const FittedModels& models, const CustomerBase& calibration,
                                       const IngestOptions& ingest);

/// What predicting needs from a model file.
struct SavedModel {
  TimeUnit time_unit = TimeUnit::week;
  BgNbdParams bgnbd;
  GammaGammaParams gamma_gamma;
  nlohmann::ordered_json document;  ///< the whole file, echoed into prediction metadata
};

/// Reads and validates a model file. Throws IoError when it cannot be read and InputError
/// naming the file and the field when it is not a valid clvkit model file.
SavedModel read_model_file(const std::string& path);

}  // namespace clvkit
