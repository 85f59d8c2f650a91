#pragma once
// Saved fitted models ("clvkit fit -o model.json"): parameters, standard errors, fit summaries,
// time unit and calibration facts, so `clvkit predict` can score other data without refitting.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/identification.hpp"
#include "clvkit/summary/customer_patterns.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

inline constexpr const char* kModelFileFormat = "clvkit-model";
inline constexpr int kModelFileVersion = 1;

/// The JSON document of a model file (format and field list in the README, "Saved models").
/// `dropout` is check_dropout_identification of the purchase fit on `calibration`.
nlohmann::ordered_json model_file_json(const FittedModels& models, const CustomerBase& calibration,
                                       const IngestOptions& ingest,
                                       const DropoutIdentification& dropout);

/// The same for models fitted on a customer base's patterns (fit_customer_models of
/// CustomerPatterns): the calibration block of the base they stand for (source, as_of, customers,
/// rows_used, as above) and "fitted_on_patterns": the patterns, spend pairs, rows and bytes
/// transferred.
nlohmann::ordered_json model_file_json(const FittedModels& models,
                                       const CustomerPatterns& calibration,
                                       const DropoutIdentification& dropout);

/// The same with any calibration block (e.g. summary_table_metadata for a fit on a summary
/// table). A FittedModels without a spend model (fitted on a table without spend) is saved
/// without one.
nlohmann::ordered_json model_file_json(const FittedModels& models,
                                       const nlohmann::ordered_json& calibration,
                                       const DropoutIdentification& dropout);

/// What predicting needs from a model file: the models it holds (one registered purchase model
/// and one spend model, found by their keys) at their saved parameters.
struct SavedModel {
  TimeUnit time_unit = TimeUnit::week;
  std::shared_ptr<const PurchaseModel> purchase;
  std::shared_ptr<const SpendModel> spend;  ///< null when the file holds no spend model
  nlohmann::ordered_json document;  ///< the whole file, echoed into prediction metadata
};

/// What prediction metadata says of the models used: {"model_file": path, "calibration",
/// "time_unit", and the file's own block of each model (its key: fit summary as saved)}.
nlohmann::ordered_json saved_model_metadata(const std::string& path, const SavedModel& saved);

/// The models of a saved file as FittedModels, their fit summaries left empty (a model file is
/// not refitted); for the library calls that take fitted models.
FittedModels saved_models(const SavedModel& saved);

/// Reads and validates a model file. Throws IoError when it cannot be read and InputError
/// naming the file and the field when it is not a valid clvkit model file: not format
/// "clvkit-model" version 1, no time unit or calibration object, not exactly one registered
/// purchase model and at most one spend model (none in a file fitted on a summary table without
/// spend), a parameter missing, not positive and finite, or outside
/// the model's domain (e.g. Gamma-Gamma q <= 1, without a mean spend).
SavedModel read_model_file(const std::string& path);

/// Validates the text of a model file as read_model_file does, naming it `path` in messages
/// (read_model_file reads the file and calls this). Throws InputError only.
SavedModel parse_model_file(std::string_view text, const std::string& path);

}  // namespace clvkit
