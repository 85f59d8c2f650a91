#pragma once
// `clvkit fit` as one library call: the chosen models fitted on a customer base, and whether
// their dropout is identified on it. A model file is written from the result
// (model_file_json(fit.models, base, ingest, fit.dropout), output/model_file.hpp).

#include "clvkit/analysis.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/identification.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// Fitted models and the check of their dropout identification on the customers they were
/// fitted on.
struct BaseModelFit {
  FittedModels models;
  DropoutIdentification dropout;
};

/// Fits options.choice's purchase and spend models in options.time_unit on the customers of
/// `base` (read with `ingest`), with options.fit on `threads` threads (0 = one per hardware
/// thread; the fits do not depend on it), and checks whether dropout is identified
/// (check_dropout_identification). options.value and allow_unconverged are not used: a fit that
/// did not converge is returned as such (its summary says so). Throws UsageError for an unknown
/// model key or a discrete-time model on a log read by days (check_model_fits_log), ModelError
/// when a model cannot be fitted.
BaseModelFit fit_base_models(const CustomerBase& base, const IngestOptions& ingest,
                             const ModelOptions& options, int threads);

}  // namespace clvkit
