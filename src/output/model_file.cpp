#include "clvkit/output/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string_view>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

double read_parameter(const nlohmann::ordered_json& document, const std::string& path,
                      std::string_view model_key, std::string_view parameter) {
  const std::string model(model_key);
  const std::string name(parameter);
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

// The member `key` when it is a string, else "": a member of the wrong type is refused as a wrong
// value is (nlohmann's value() would throw its type_error, which is no InputError).
std::string string_member(const nlohmann::ordered_json& document, const char* key) {
  const auto found = document.find(key);
  return found != document.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// format_version compared as a JSON number: value<int>() would cast 1e300 to int (undefined
// behaviour, which clang's UBSan reports) and throw type_error for a string.
bool has_format_version(const nlohmann::ordered_json& document, int version) {
  const auto found = document.find("format_version");
  return found != document.end() && found->is_number() && *found == version;
}

// The one family of `families` whose key is a member of the document.
template <class Family>
const Family& saved_family(const nlohmann::ordered_json& document, const std::string& path,
                           std::span<const Family> families, const char* what) {
  const Family* found = nullptr;
  std::string known;
  for (const Family& family : families) {
    known += (known.empty() ? "" : ", ") + std::string(family.key);
    if (!document.contains(std::string(family.key))) continue;
    if (found != nullptr) {
      throw InputError(path + ": holds two " + what + "s ('" + std::string(found->key) + "' and '" +
                       std::string(family.key) + "'); a model file holds one");
    }
    found = &family;
  }
  if (found == nullptr) {
    throw InputError(path + ": no " + what + " (expected one of: " + known + ")");
  }
  return *found;
}

// The family's model at the parameters saved under its key.
template <class Family>
auto read_model(const nlohmann::ordered_json& document, const std::string& path,
                const Family& family) {
  std::vector<double> values;
  for (std::string_view name : family.parameter_names) {
    values.push_back(read_parameter(document, path, family.key, name));
  }
  try {
    return family.make(values);
  } catch (const ModelError& e) {
    throw InputError(path + ": " + e.what());
  }
}

}  // namespace

nlohmann::ordered_json model_file_json(const FittedModels& models, const CustomerBase& calibration,
                                       const IngestOptions& ingest,
                                       const DropoutIdentification& dropout) {
  nlohmann::ordered_json calib;
  calib["source"] = replace_invalid_utf8(calibration.source);  // a path need not be UTF-8
  calib["as_of"] = ingest_metadata(calibration, ingest)["as_of"];
  calib["customers"] = calibration.customers.size();
  calib["rows_used"] = calibration.stats.rows_used;
  return model_file_json(models, calib, dropout);
}

nlohmann::ordered_json model_file_json(const FittedModels& models,
                                       const CustomerPatterns& calibration,
                                       const DropoutIdentification& dropout) {
  nlohmann::ordered_json calib;
  calib["source"] = replace_invalid_utf8(calibration.source);
  calib["as_of"] = format_day(calibration.as_of);
  calib["customers"] = calibration.customers;
  calib["rows_used"] = calibration.stats.rows_used;
  calib["fitted_on_patterns"] = {{"patterns", calibration.patterns.size()},
                                 {"spend_pairs", calibration.spend.size()},
                                 {"rows_transferred", calibration.rows_transferred},
                                 {"bytes_transferred", calibration.bytes_transferred}};
  return model_file_json(models, calib, dropout);
}

nlohmann::ordered_json model_file_json(const FittedModels& models,
                                       const nlohmann::ordered_json& calibration,
                                       const DropoutIdentification& dropout) {
  nlohmann::ordered_json out;
  out["format"] = kModelFileFormat;
  out["format_version"] = kModelFileVersion;
  out["tool"] = std::string("clvkit ") + CLVKIT_VERSION;
  out["calibration"] = calibration;
  const nlohmann::ordered_json fitted = models_metadata(models);
  for (const auto& [key, value] : fitted.items()) out[key] = value;
  out["dropout"] = dropout_metadata(dropout);
  return out;
}

nlohmann::ordered_json saved_model_metadata(const std::string& path, const SavedModel& saved) {
  nlohmann::ordered_json out;
  out["model_file"] = replace_invalid_utf8(path);
  out["calibration"] = saved.document.at("calibration");
  out["time_unit"] = saved.document.at("time_unit");
  out[std::string(saved.purchase->key())] = saved.document.at(std::string(saved.purchase->key()));
  if (saved.spend) {
    out[std::string(saved.spend->key())] = saved.document.at(std::string(saved.spend->key()));
  }
  return out;
}

FittedModels saved_models(const SavedModel& saved) {
  FittedModels models;
  models.time_unit = saved.time_unit;
  models.purchase.model = saved.purchase;
  models.spend.model = saved.spend;
  return models;
}

SavedModel read_model_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw IoError("cannot read model file '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read model file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_file(text.str(), path);
}

SavedModel parse_model_file(std::string_view text, const std::string& path) {
  SavedModel model;
  try {
    model.document = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number beyond double (1e999).
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
  const auto& doc = model.document;
  if (!doc.is_object() || string_member(doc, "format") != kModelFileFormat) {
    throw InputError(path + ": not a clvkit model file (expected \"format\": \"clvkit-model\")");
  }
  if (!has_format_version(doc, kModelFileVersion)) {
    throw InputError(path + ": unsupported format_version (this clvkit reads version " +
                     std::to_string(kModelFileVersion) + ")");
  }
  try {
    model.time_unit = parse_time_unit(string_member(doc, "time_unit"), path + ": time_unit");
  } catch (const UsageError& e) {
    throw InputError(e.what());
  }
  if (!doc.contains("calibration") || !doc["calibration"].is_object()) {
    throw InputError(path + ": missing object 'calibration'");
  }
  model.purchase =
      read_model(doc, path, saved_family(doc, path, purchase_model_families(), "purchase model"));
  const bool has_spend = std::any_of(
      spend_model_families().begin(), spend_model_families().end(),
      [&doc](const SpendModelFamily& family) { return doc.contains(std::string(family.key)); });
  if (!has_spend) return model;  // fitted on a summary table without spend
  model.spend =
      read_model(doc, path, saved_family(doc, path, spend_model_families(), "spend model"));
  try {
    model.spend->population_mean();
  } catch (const ModelError& e) {
    throw InputError(path + ": " + std::string(model.spend->key()) + ": " + e.what());
  }
  return model;
}

}  // namespace clvkit
