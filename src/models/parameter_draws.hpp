#pragma once
// The population parameters of every draw of the forecast (forecast.hpp, "Parameter
// uncertainty"): internal to the forecast, split out because drawing them is a step of its own
// (a normal on the log scale, truncated to usable values) with its own tests.

#include <cstddef>
#include <vector>

#include "clvkit/models/forecast.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/spend_model.hpp"

namespace clvkit {

/// Beyond this many expected purchases of one customer in the horizon the walk over exponential
/// inter-purchase times (one variate per simulated purchase) would not finish in useful time.
inline constexpr double kMaxForecastPurchasesPerCustomer = 1.0e6;

/// Natural parameters per draw; both empty when neither covariance is given (fixed parameters).
struct DrawTables {
  std::vector<std::vector<double>> purchase;
  std::vector<std::vector<double>> spend;
  bool parameters_vary = false;  ///< a covariance with a non-zero entry: draws differ from the fit
};

/// Lower Cholesky factor (row-major k x k) of a symmetric positive semidefinite covariance named
/// `name` in messages; a pivot that is zero up to rounding gives a zero column. Throws
/// UsageError when it has neither k*k values, ModelError when it is not finite, symmetric and
/// positive semidefinite.
std::vector<double> cholesky_semidefinite(const std::vector<double>& covariance, std::size_t k,
                                          const char* name);

/// The parameters of every draw (see forecast.hpp). `histories` bound the purchase rate a draw
/// may imply.
DrawTables draw_parameters(const PurchaseModel& purchase_model, const SpendModel& spend_model,
                           const std::vector<PurchaseHistory>& histories,
                           const ForecastOptions& options);

}  // namespace clvkit
