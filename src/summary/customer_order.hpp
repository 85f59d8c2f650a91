#pragma once
// Internal to src/summary: the output order of the customers of ingest's per-partition tables
// (see CustomerBase: numeric when every id is digits, else bytewise).

#include <cstddef>
#include <cstdint>
#include <string_view>
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

/// Which customers output_order lists, and by which comparison.
struct OrderOptions {
  /// Also the customers without a purchase day (whose rows are all returns), in their place in
  /// the same order: the order of CustomerHistories.
  bool all_customers = false;
  /// Bytewise even when every id is digits (ids merged with others that are not).
  bool bytewise = false;
};

/// The customers with a purchase day (days_count > 0) of all `tables`, in output order, sorted on
/// up to `threads` threads; the same order for any number of tables and threads.
std::vector<CustomerRef> output_order(const std::vector<CustomerTable>& tables, int threads,
                                     const OrderOptions& options = {});

/// Whether every id of every table consists of ASCII digits only (the order is then numeric).
bool all_ids_numeric(const std::vector<CustomerTable>& tables) noexcept;

/// The output order's comparison of two ids when every id is digits: shorter after stripping
/// leading zeros first, then bytewise, ties (such as "7" and "007") by the full string.
bool numeric_id_less(std::string_view a, std::string_view b) noexcept;

/// The output order's comparison: numeric_id_less, or bytewise.
inline bool id_less(std::string_view a, std::string_view b, bool numeric) noexcept {
  return numeric ? numeric_id_less(a, b) : a < b;
}

}  // namespace clvkit::detail
