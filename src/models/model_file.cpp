#include "clvkit/models/model_file.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "clvkit/error.hpp"
#include "clvkit/io/metadata.hpp"

namespace clvkit {
namespace {

double read_parameter(const nlohmann::ordered_json& document, const std::string& path,
                      const char* model, const char* name) {
  const auto fail = [&](const std::string& why) -> double {
    throw InputError(path + ": " + model + ".parameters." + name + ": " + why);
  };
  if (!document.contains(model) || !document[model].is_object()) {
    throw InputError(path + ": missing object '" + model + "'");
  }
  const auto& fit = document[model];
  if (!fit.contains("parameters") || !fit["parameters"].contains(name)) return fail("missing");
  const auto& estimate = fit["parameters"][name];
  if (!estimate.contains("value") || !estimate["value"].is_number())
    return fail("no numeric value");
  const double value = estimate["value"].get<double>();
  if (!std::isfinite(value) || value <= 0.0) return fail("must be positive and finite");
  return value;
}

}  // namespace

nlohmann::ordered_json model_file_json(const FittedModels& models, const CustomerBase& calibration,
                                       const IngestOptions& ingest) {
  nlohmann::ordered_json out;
  out["format"] = kModelFileFormat;
  out["format_version"] = kModelFileVersion;
  out["tool"] = std::string("clvkit ") + CLVKIT_VERSION;
  nlohmann::ordered_json calib;
  calib["source"] = calibration.source;
  calib["as_of"] = ingest_metadata(calibration, ingest)["as_of"];
  calib["customers"] = calibration.customers.size();
  calib["rows_used"] = calibration.stats.rows_used;
  out["calibration"] = calib;
  const nlohmann::ordered_json fitted = models_metadata(models);
  for (const auto& [key, value] : fitted.items()) out[key] = value;
  return out;
}

SavedModel read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read model file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  SavedModel model;
  try {
    model.document = nlohmann::ordered_json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
  const auto& doc = model.document;
  if (!doc.is_object() || doc.value("format", "") != kModelFileFormat) {
    throw InputError(path + ": not a clvkit model file (expected \"format\": \"clvkit-model\")");
  }
  if (doc.value("format_version", 0) != kModelFileVersion) {
    throw InputError(path + ": unsupported format_version (this clvkit reads version " +
                     std::to_string(kModelFileVersion) + ")");
  }
  try {
    model.time_unit = parse_time_unit(doc.value("time_unit", ""), path + ": time_unit");
  } catch (const UsageError& e) {
    throw InputError(e.what());
  }
  model.bgnbd = {read_parameter(doc, path, "bgnbd", "r"),
                 read_parameter(doc, path, "bgnbd", "alpha"),
                 read_parameter(doc, path, "bgnbd", "a"), read_parameter(doc, path, "bgnbd", "b")};
  model.gamma_gamma = {read_parameter(doc, path, "gamma_gamma", "p"),
                       read_parameter(doc, path, "gamma_gamma", "q"),
                       read_parameter(doc, path, "gamma_gamma", "gamma")};
  if (model.gamma_gamma.q <= 1.0) {
    throw InputError(path + ": gamma_gamma.parameters.q must exceed 1 for the mean spend to exist");
  }
  return model;
}

}  // namespace clvkit
