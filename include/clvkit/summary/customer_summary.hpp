#pragma once
// The per-customer summary of a transaction log: the input of RFM scoring and of the models.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/day.hpp"

namespace clvkit {

/// One customer's purchase history, reduced to the statistics every model and score needs.
/// All durations are whole days; see the README for the conventions.
struct CustomerSummary {
  std::string id;
  Day first_purchase = 0;          ///< first purchase day
  Day last_purchase = 0;           ///< last purchase day (<= as-of)
  std::int64_t purchase_days = 0;  ///< distinct days with a purchase (>= 1)
  std::int64_t frequency = 0;      ///< repeat purchase days = purchase_days - 1 (x in BG/NBD)
  std::int32_t recency = 0;        ///< last - first in days (t_x)
  std::int32_t T = 0;              ///< as_of - first in days (0 for a customer first seen on as-of)
  std::int32_t days_since_last = 0;  ///< as_of - last in days
  double total_spend = 0.0;          ///< net spend: all used rows up to as-of, returns included
  double monetary = 0.0;   ///< mean spend of the repeat purchase days; 0 when frequency = 0
  double avg_spend = 0.0;  ///< mean spend over all purchase days
};

}  // namespace clvkit
