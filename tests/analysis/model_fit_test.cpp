// fit_base_models (analysis/model_fit.hpp): `clvkit fit` as one library call.

#include "clvkit/analysis/model_fit.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace {

using namespace clvkit;

const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

}  // namespace

TEST_CASE("fit_base_models fits the base's models and checks their dropout as the steps do",
          "[analysis][consistency]") {
  IngestOptions ingest;
  ingest.as_of = parse_iso_date_or_throw("1997-09-30", "as_of");
  const CustomerBase base = ingest_transactions_file(kCdnow, ingest);
  ModelOptions options;
  options.choice.purchase = "pnbd";
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    const BaseModelFit fit = fit_base_models(base, ingest, options, threads);
    FitOptions steps;
    steps.threads = threads;
    const FittedModels models =
        fit_customer_models(base.customers, options.time_unit, steps, options.choice);
    const DropoutIdentification dropout =
        check_dropout_identification(models.purchase, base.customers, options.time_unit);
    // Bitwise: the same calls on the same data (the fits do not depend on the threads).
    REQUIRE(fit.models.purchase.model->key() == std::string_view("pnbd"));
    CHECK(fit.models.purchase.model->parameters() == models.purchase.model->parameters());
    CHECK(fit.models.spend.model->parameters() == models.spend.model->parameters());
    CHECK(fit.models.purchase.summary.log_likelihood == models.purchase.summary.log_likelihood);
    CHECK(fit.dropout.informative == dropout.informative);
    CHECK(fit.dropout.reasons == dropout.reasons);
    CHECK(fit.dropout.share_p_alive_at_least_0_99 == dropout.share_p_alive_at_least_0_99);
  }
}

TEST_CASE("fit_base_models refuses a discrete-time model on a log read by days and unknown keys",
          "[analysis][inputcheck]") {
  const CustomerBase base = ingest_transactions_file(kCdnow, {});
  ModelOptions options;
  options.choice.purchase = "bgbb";
  CHECK_THROWS_AS(fit_base_models(base, {}, options, 1), UsageError);
  options.choice.purchase = "no-such-model";
  CHECK_THAT(test::error_message<UsageError>([&] { fit_base_models(base, {}, options, 1); }),
             Catch::Contains("no-such-model"));
}
