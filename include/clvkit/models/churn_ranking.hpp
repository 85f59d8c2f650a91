#pragma once
// The churn call list: customers ranked by the value that leaves with them if they have churned.

#include <span>

#include "clvkit/models/customer_value.hpp"

namespace clvkit {

/// Sets every prediction's churn_priority to its rank by value_at_risk = (1 - p_alive) *
/// clv_if_alive: 1 for the largest, ties in input order (a stable sort, so the ranks are the
/// same for any `threads`); -0 and +0 tie. Values are expected finite, as predict_value gives
/// them (a NaN is ranked by its bit pattern, not refused). A radix sort on up to `threads`
/// threads with two buffers of 12 bytes a prediction. Throws ModelError when there are more than
/// 2^32 - 1 predictions.
void rank_churn(std::span<CustomerPrediction> predictions, int threads = 1);

}  // namespace clvkit
