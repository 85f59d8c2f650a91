#include "clvkit/analysis/model_fit.hpp"

#include "clvkit/util/parallel.hpp"

namespace clvkit {

BaseModelFit fit_base_models(const CustomerBase& base, const IngestOptions& ingest,
                             const ModelOptions& options, int threads) {
  check_model_fits_log(options.choice.purchase, ingest);
  FitOptions fit = options.fit;
  fit.threads = resolve_thread_count(threads);
  BaseModelFit out;
  out.models = fit_customer_models(base.customers, options.time_unit, fit, options.choice);
  out.dropout =
      check_dropout_identification(out.models.purchase, base.customers, options.time_unit);
  return out;
}

}  // namespace clvkit
