#pragma once
// The calendar day, the one time type every layer shares (input parsing, summaries, models,
// output): a core header with no dependencies.

#include <cstdint>

namespace clvkit {

/// Calendar day as a count of days since 1970-01-01 (proleptic Gregorian). Transactions are
/// bucketed to calendar days: all of a customer's rows on one day are one purchase occasion.
using Day = std::int32_t;

}  // namespace clvkit
