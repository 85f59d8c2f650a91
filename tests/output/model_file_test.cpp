// Model files through the registry: a file names its models by their keys, and every way a file
// can fail to hold exactly one usable purchase model and one spend model is an InputError naming
// the file and the fault.

#include "clvkit/output/model_file.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "../cli/cli_runner.hpp"
#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"

namespace {

using namespace clvkit;

const std::string kSaved =
    std::string(CLVKIT_TEST_SOURCE_DIR) + "/models/cdnow-calibration-1997-09-30.json";

// The saved CDNOW model with `edit` applied, written to a file in `dir`; returns the path.
template <class Edit>
std::string edited_model(const test::TempDir& dir, Edit edit) {
  nlohmann::ordered_json document = nlohmann::ordered_json::parse(test::read_text(kSaved));
  edit(document);
  const std::string path = dir.file("model.json");
  test::write_text(path, document.dump(2));
  return path;
}

std::string read_error(const std::string& path) {
  return test::error_message<InputError>([&] { read_model_file(path); });
}

}  // namespace

TEST_CASE("a saved model file reads back as the registered models at its parameters",
          "[output][model_file]") {
  const SavedModel saved = read_model_file(kSaved);
  CHECK(saved.purchase->key() == "bgnbd");
  CHECK(saved.spend->key() == "gamma_gamma");
  CHECK(saved.purchase->parameters()[0] ==
        saved.document["bgnbd"]["parameters"]["r"]["value"].get<double>());
  const nlohmann::ordered_json metadata = saved_model_metadata("m.json", saved);
  CHECK(metadata["model_file"] == "m.json");
  CHECK(metadata["bgnbd"] == saved.document["bgnbd"]);
  CHECK(metadata["calibration"] == saved.document["calibration"]);
  const FittedModels models = saved_models(saved);
  CHECK(models.purchase.model == saved.purchase);
  CHECK(models.time_unit == saved.time_unit);
}

TEST_CASE("a model file without exactly one usable purchase model is refused",
          "[output][model_file][inputcheck]") {
  const test::TempDir dir;
  CHECK_THAT(read_error(edited_model(dir, [](auto& d) { d.erase("bgnbd"); })),
             Catch::Contains("no purchase model") && Catch::Contains("bgnbd"));
  // Without a spend model (fitted on a summary table without spend) it is read, spend null.
  CHECK(read_model_file(edited_model(dir, [](auto& d) { d.erase("gamma_gamma"); })).spend ==
        nullptr);
  CHECK_THAT(read_error(edited_model(dir, [](auto& d) { d.erase("calibration"); })),
             Catch::Contains("missing object 'calibration'"));
  CHECK_THAT(read_error(edited_model(
                 dir, [](auto& d) { d["bgnbd"]["parameters"]["alpha"]["value"] = -1.0; })),
             Catch::Contains("bgnbd.parameters.alpha") && Catch::Contains("positive"));
  CHECK_THAT(read_error(edited_model(
                 dir, [](auto& d) { d["gamma_gamma"]["parameters"]["q"]["value"] = 0.9; })),
             Catch::Contains("model.json") && Catch::Contains("gamma_gamma"));
  CHECK_THAT(read_error(edited_model(dir, [](auto& d) { d["bgnbd"]["parameters"].erase("b"); })),
             Catch::Contains("bgnbd.parameters.b: missing"));
}

// Found by tests/fuzz/fuzz_model_file: members of the wrong type escaped as nlohmann's type_error
// (the CLI's "internal error", exit 3, instead of bad input, exit 2), and a format_version of
// 1e300 was cast to int, undefined behaviour that clang's UBSan reports (float-cast-overflow).
TEST_CASE("a model file's format members of the wrong type are refused as bad input",
          "[output][model_file][inputcheck][fuzz]") {
  const auto edited_text = [](auto edit) {
    nlohmann::ordered_json document = nlohmann::ordered_json::parse(test::read_text(kSaved));
    edit(document);
    return document.dump();
  };
  const auto parse_error = [](const std::string& text) {
    return test::error_message<InputError>([&] { parse_model_file(text, "m.json"); });
  };
  CHECK_THAT(parse_error(edited_text([](auto& d) { d["format"] = 7; })),
             Catch::Contains("m.json: not a clvkit model file"));
  CHECK_THAT(parse_error(edited_text([](auto& d) { d["format_version"] = "1"; })),
             Catch::Contains("m.json: unsupported format_version"));
  CHECK_THAT(parse_error(edited_text([](auto& d) { d["format_version"] = 1e300; })),
             Catch::Contains("m.json: unsupported format_version"));
  CHECK_THAT(parse_error(edited_text([](auto& d) { d["format_version"] = 1.5; })),
             Catch::Contains("m.json: unsupported format_version"));
  CHECK_THAT(parse_error(edited_text([](auto& d) { d["time_unit"] = 7; })),
             Catch::Contains("m.json: time_unit"));
  // The text of a valid file parses as the file reads.
  const SavedModel saved = parse_model_file(test::read_text(kSaved), "m.json");
  CHECK(saved.purchase->key() == read_model_file(kSaved).purchase->key());
  CHECK(parse_model_file(edited_text([](auto& d) { d["format_version"] = 1.0; }), "m.json")
            .purchase != nullptr);
}
