#pragma once
// Internal to src/summary: the output order of the customers of ingest's per-partition tables
// (see CustomerBase: numeric when every id is digits, else bytewise).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "customer_table.hpp"

namespace clvkit::detail {

// Customers per task of the parallel passes over customers: a constant, so the split of the
// work does not depend on the thread count.
constexpr std::size_t kCustomerBlock = 1 << 16;

/// The customers with a purchase day of every table, in output order (see CustomerBase).
struct CustomerRef {
  // Leaves the fields uninitialised (= default would zero them), so that a vector of millions
  // of refs is allocated without being zeroed on one thread: the parallel pass that fills it
  // touches its memory first.
  CustomerRef() noexcept {}
  CustomerRef(std::uint32_t table, std::uint32_t index) noexcept : table(table), index(index) {}
  std::uint32_t table;
  std::uint32_t index;
};

/// The customers with a purchase day (days_count > 0) of all `tables`, in output order, sorted on
/// up to `threads` threads; the same order for any number of tables and threads.
std::vector<CustomerRef> output_order(const std::vector<CustomerTable>& tables, int threads);

}  // namespace clvkit::detail
