#include "clvkit/summary/ingest.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/util/parallel.hpp"
#include "customer_order.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

using detail::CustomerRef;
using detail::CustomerTable;
using detail::DayTracking;
using detail::kCustomerBlock;
using detail::kNone;
using detail::kUnitsPerCurrency;
using detail::fill_summaries;
using detail::output_order;

// Whether the first rows look like a log whose customers' days come in order: no customer's day
// steps back, and either the log steps back in time at most once in a hundred changes of
// customer (sorted by date) or runs of one customer average two rows or more (grouped).
bool starts_in_order(const detail::RowOrderProbe& probe) noexcept {
  if (probe.same_id_steps_back > 0) return false;
  return probe.new_id_steps_back * 100 <= probe.new_id_pairs ||
         probe.same_id_pairs >= probe.new_id_pairs;
}

// The second pass of DayTracking::ordered: the log is read again from `start` and the distinct
// purchase days of the customers marked for a recount are counted exactly, in tables that keep
// day lists for them alone. The rows are the same as in the first pass (same checks, same
// partitions), so no error can arise that the first pass did not report.
void recount_days(const detail::LogInput& input, std::istream::pos_type start,
                  const std::string& source, const IngestOptions& options, int threads,
                  std::vector<CustomerTable>& tables) {
  const bool any = std::any_of(tables.begin(), tables.end(), [](const CustomerTable& table) {
    return table.recount_count() > 0;
  });
  if (!any) return;
  if (options.second_pass) {
    std::int64_t customers = 0;
    for (const CustomerTable& table : tables) {
      customers += static_cast<std::int64_t>(table.recount_count());
    }
    options.second_pass(customers);
  }
  if (input.stream != nullptr) {
    input.stream->clear();
    input.stream->seekg(start);
    if (!*input.stream)
      throw IoError(source +
                    ": cannot read the log again to count purchase days that came out of order");
  }
  std::vector<CustomerTable> recount(tables.size());
  IngestStats again;
  detail::scan_log(
      input, source, options, threads, tables.size(), detail::ChooseRuns{}, again,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> rows) {
        const CustomerTable& table = tables[partition];
        CustomerTable& days = recount[partition];
        for (const detail::ParsedRow& row : rows) {
          if (row.is_return) continue;
          const std::string_view id{block + row.id_offset, row.id_length};
          const std::uint32_t index = table.find(id, row.hash);
          if (index == kNone || !table.needs_recount(index)) continue;
          days.add_purchase(days.find_or_insert(id, row.hash), row.first, 0);
        }
      });
  parallel_for(threads, tables.size(), [&](std::size_t partition) {
    CustomerTable& table = tables[partition];
    const CustomerTable& days = recount[partition];
    for (std::uint32_t index = 0; index < table.size(); ++index) {
      if (!table.needs_recount(index)) continue;
      const std::string_view id = table.id(table[index]);
      const std::uint32_t found = days.find(id, detail::hash_id(id));
      if (found == kNone) throw IoError(source + ": the log changed while it was read");
      table.set_days_count(index, days[found].days_count);
    }
  });
}

// A customer's spend overflowed: the log is read again on one thread, in one table, row by row
// (no runs), so that the error names the first row in the file whose amount takes its customer's
// total out of range, whatever the threads and blocks of the first pass. Throws that
// SpendOverflowError; returns only if the log no longer overflows (it changed meanwhile).
void locate_spend_overflow(const detail::LogInput& input, std::istream::pos_type start,
                           const std::string& source, const IngestOptions& options) {
  if (input.stream != nullptr) {
    input.stream->clear();
    input.stream->seekg(start);
    if (!*input.stream) return;
  }
  CustomerTable table(DayTracking::lists);
  IngestStats again;
  detail::scan_log(
      input, source, options, 1, 1, detail::ChooseRuns{}, again,
      [&table](std::size_t, const char* block, std::span<const detail::ParsedRow> rows) {
        table.add_rows(block, rows);
      });
}

std::size_t customer_count(const std::vector<CustomerTable>& tables) {
  std::size_t count = 0;
  for (const CustomerTable& table : tables) count += table.size();
  return count;
}

}  // namespace

namespace detail {

void append_csv_header(std::string& out, const IngestOptions& options) {
  append_csv_field(out, options.customer_col);
  out += ',';
  append_csv_field(out, options.date_col);
  out += ',';
  append_csv_field(out, options.amount_col);
  out += '\n';
}

void fill_summaries(const std::vector<CustomerTable>& tables, const std::vector<CustomerRef>& order,
                    Day as_of, std::vector<CustomerSummary>& customers, int threads) {
  constexpr std::size_t kBlock = kCustomerBlock;
  // About 100 bytes a customer, in fresh memory: its pages are faulted in on every thread
  // before the (single-threaded) construction by resize writes them.
  customers.clear();
  customers.reserve(order.size());
  populate_pages(customers.data(), order.size() * sizeof(CustomerSummary), threads);
  customers.resize(order.size());
  // Customers in id order are scattered over the tables unless the log was sorted by id: their
  // accumulators are fetched kAhead customers before they are read.
  constexpr std::size_t kAhead = 16;
  parallel_for(threads, (order.size() + kBlock - 1) / kBlock, [&](std::size_t block) {
    const std::size_t end = std::min(order.size(), (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) {
      if (i + kAhead < end) {
        detail::prefetch_line(&tables[order[i + kAhead].table][order[i + kAhead].index]);
      }
      const CustomerTable& table = tables[order[i].table];
      const detail::Accumulator& from = table[order[i].index];
      summarize_customer(table.id(from), from.first, from.last, from.days_count, from.total,
                         from.first_day_spend, as_of, customers[i]);
    }
  });
}

}  // namespace detail

namespace {

// The policy of `keys` (names in enum order) named `text`, or UsageError listing them.
template <class Policy, std::size_t N>
Policy parse_policy(std::string_view text, std::string_view what, const char* const (&keys)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (text == keys[i]) return static_cast<Policy>(i);
  }
  std::string expected;
  for (std::size_t i = 0; i < N; ++i) {
    expected += i == 0 ? "" : i + 1 == N ? " or " : ", ";
    expected += keys[i];
  }
  throw UsageError(std::string(what) + ": expected " + expected + ", got '" + std::string(text) +
                   "'");
}

constexpr const char* kReturnsKeys[] = {"net", "drop", "fail"};      // ReturnsPolicy order
constexpr const char* kZeroAmountKeys[] = {"keep", "drop", "fail"};  // ZeroAmountPolicy order
constexpr const char* kBadRowKeys[] = {"fail", "skip"};              // BadRowPolicy order

}  // namespace

const char* returns_policy_key(ReturnsPolicy policy) noexcept {
  return kReturnsKeys[static_cast<int>(policy)];
}
const char* zero_amount_policy_key(ZeroAmountPolicy policy) noexcept {
  return kZeroAmountKeys[static_cast<int>(policy)];
}
const char* bad_row_policy_key(BadRowPolicy policy) noexcept {
  return kBadRowKeys[static_cast<int>(policy)];
}
ReturnsPolicy parse_returns_policy(std::string_view text, std::string_view what) {
  return parse_policy<ReturnsPolicy>(text, what, kReturnsKeys);
}
ZeroAmountPolicy parse_zero_amount_policy(std::string_view text, std::string_view what) {
  return parse_policy<ZeroAmountPolicy>(text, what, kZeroAmountKeys);
}
BadRowPolicy parse_bad_row_policy(std::string_view text, std::string_view what) {
  return parse_policy<BadRowPolicy>(text, what, kBadRowKeys);
}

const char* reject_reason_key(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::wrong_field_count:
      return "wrong_field_count";
    case RejectReason::empty_id:
      return "empty_id";
    case RejectReason::invalid_utf8:
      return "invalid_utf8";
    case RejectReason::bad_date:
      return "bad_date";
    case RejectReason::bad_amount:
      return "bad_amount";
    case RejectReason::negative_amount:
      return "negative_amount";
    case RejectReason::zero_amount:
      return "zero_amount";
    case RejectReason::count_:
      break;
  }
  return "unknown";
}

std::int64_t IngestStats::rows_rejected() const noexcept {
  std::int64_t sum = 0;
  for (const std::int64_t count : rejected) sum += count;
  return sum;
}

namespace {

// ingest_transactions on a stream or a mapped file.
CustomerBase ingest(const detail::LogInput& input, const std::string& source,
                    const IngestOptions& given) {
  // Under a period, rows are read up to the end of the last period complete on the as-of day.
  IngestOptions options = given;
  if (options.period && options.as_of) {
    options.as_of = last_complete_period_end(*options.as_of, *options.period);
  }
  CustomerBase base;
  base.source = source;
  // One table per thread, each owning one hash partition of the ids: no table is shared, and
  // since the accumulators are exact in any row order the result does not depend on the count.
  const int threads = std::max(options.threads, 1);
  // A log that can be read again and starts in order (sorted by date, or grouped by customer
  // with days in order) is read with runs and no day lists: a customer whose days still come out
  // of order is recounted by a second pass. Any other log keeps every customer's day list in one
  // pass: a pipe cannot be read twice, and a shuffled log would have most customers recounted.
  const std::istream::pos_type start =
      input.stream != nullptr ? input.stream->tellg() : std::istream::pos_type(0);
  const bool rereadable = start != std::istream::pos_type(-1);
  DayTracking tracking = DayTracking::lists;
  std::vector<CustomerTable> tables;
  const auto make_tables = [&] {
    tables.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) tables.emplace_back(tracking);
  };
  const detail::ChooseRuns choose_runs = [&](const detail::RowOrderProbe& first_rows) {
    if (starts_in_order(first_rows)) tracking = DayTracking::ordered;
    make_tables();
    return tracking == DayTracking::ordered;
  };
  if (!rereadable) make_tables();
  detail::LogScan scan;
  try {
    scan = detail::scan_log(input, source, options, threads, static_cast<std::size_t>(threads),
                            rereadable ? choose_runs : detail::ChooseRuns{}, base.stats,
                            [&tables](std::size_t partition, const char* block,
                                      std::span<const detail::ParsedRow> rows) {
                              tables[partition].add_rows(block, rows);
                            });
  } catch (const detail::SpendOverflowError&) {
    if (rereadable) locate_spend_overflow(input, start, source, options);
    throw;
  }
  if (tables.empty()) make_tables();  // a log without rows: the probe never ran
  if (tracking == DayTracking::ordered) {
    recount_days(input, start, source, options, threads, tables);
  }
  for (CustomerTable& table : tables) table.release_lookup_and_days();

  const std::vector<CustomerRef> order = output_order(tables, threads);
  base.stats.customers_without_purchase =
      static_cast<std::int64_t>(customer_count(tables) - order.size());
  if (order.empty()) {
    throw InputError(source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = options.as_of.value_or(scan.last_day);
  if (options.period) base.as_of = period_start(base.as_of, *options.period);
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;
  fill_summaries(tables, order, base.as_of, base.customers, threads);
  return base;
}

}  // namespace

CustomerBase ingest_transactions(std::istream& in, const std::string& source,
                                 const IngestOptions& options) {
  return ingest(detail::LogInput{&in, {}}, source, options);
}


CustomerBase ingest_transactions(std::span<const Transaction> rows, const std::string& source,
                                 const IngestOptions& options) {
  IngestOptions csv = options;
  csv.delimiter = ',';
  csv.date_format.clear();
  std::string text;
  detail::append_csv_header(text, options);
  char amount[64];
  for (const Transaction& row : rows) {
    append_csv_field(text, row.customer_id);
    text += ',';
    text += format_day(row.day);
    text += ',';
    // Shortest round-trip form: the amount the ingest reads back is the double given.
    const auto written = std::to_chars(amount, amount + sizeof amount, row.amount);
    text.append(amount, written.ptr);
    text += '\n';
  }
  std::istringstream in(std::move(text));
  return ingest_transactions(in, source, csv);
}

CustomerBase ingest_transactions_file(const std::string& path, const IngestOptions& options) {
  return detail::read_log_file(
      path, [&](const detail::LogInput& input) { return ingest(input, path, options); });
}

namespace detail {

namespace {

// The per-customer after-split figures and the daily repeat purchases of ingest_split (see
// there), `order` not empty.
void count_split_days(const std::vector<CustomerTable>& before_tables,
                      const std::vector<CustomerTable>& after_tables,
                      const std::vector<CustomerRef>& order, Day last_day, int threads,
                      SplitHistory& out) {
  const std::size_t n = order.size();
  out.cohort_first_day = before_tables[order[0].table][order[0].index].first;
  for (const CustomerRef& ref : order) {
    out.cohort_first_day =
        std::min(out.cohort_first_day, before_tables[ref.table][ref.index].first);
  }
  const auto span_days = static_cast<std::size_t>(last_day - out.cohort_first_day) + 1;
  const std::size_t blocks = (n + kCustomerBlock - 1) / kCustomerBlock;
  std::vector<std::vector<std::int64_t>> block_counts(blocks);
  parallel_for(threads, blocks, [&](std::size_t block) {
    std::vector<std::int64_t>& daily = block_counts[block];
    daily.assign(span_days, 0);
    std::vector<Day> days;
    const auto count = [&](const CustomerTable& table, const detail::Accumulator& customer,
                           std::size_t skip) {
      days.resize(customer.days_count);
      table.copy_days(customer, days.data());
      for (std::size_t k = skip; k < days.size(); ++k) {
        ++daily[static_cast<std::size_t>(days[k] - out.cohort_first_day)];
      }
    };
    for (std::size_t i = block * kCustomerBlock; i < std::min(n, (block + 1) * kCustomerBlock);
         ++i) {
      const CustomerTable& before_table = before_tables[order[i].table];
      const CustomerTable& after_table = after_tables[order[i].table];
      const detail::Accumulator& customer = before_table[order[i].index];
      count(before_table, customer, 1);  // the first purchase day is no repeat purchase
      const std::string_view id = before_table.id(customer);
      const std::uint32_t a = after_table.find(id, detail::hash_id(id));
      if (a == kNone) continue;
      count(after_table, after_table[a], 0);
      out.after_purchase_days[i] = after_table[a].days_count;
      out.after_spend[i] = static_cast<double>(after_table[a].total) / kUnitsPerCurrency;
    }
  });
  out.daily_repeat_purchases.assign(span_days, 0);
  for (const std::vector<std::int64_t>& daily : block_counts) {
    for (std::size_t d = 0; d < span_days; ++d) out.daily_repeat_purchases[d] += daily[d];
  }
}

// Counts, over the tables of both sides, the customers who only buy after the split (with all
// their rows) into `out` and returns those with no purchase day at all; one partition per task.
std::int64_t count_customers_by_side(const std::vector<CustomerTable>& before_tables,
                                     const std::vector<CustomerTable>& after_tables,
                                     const std::vector<std::vector<std::int64_t>>& before_rows,
                                     const std::vector<std::vector<std::int64_t>>& after_rows,
                                     int threads, SplitHistory& out) {
  struct SideCounts {
    std::int64_t after_only_customers = 0;
    std::int64_t after_only_rows = 0;
    std::int64_t without_purchase = 0;
  };
  std::vector<SideCounts> counts(before_tables.size());
  parallel_for(threads, before_tables.size(), [&](std::size_t p) {
    const CustomerTable& before_table = before_tables[p];
    const CustomerTable& after_table = after_tables[p];
    SideCounts& count = counts[p];
    for (std::uint32_t b = 0; b < before_table.size(); ++b) {
      if (before_table[b].days_count > 0) continue;
      const std::string_view id = before_table.id(before_table[b]);
      const std::uint32_t a = after_table.find(id, detail::hash_id(id));
      if (a != kNone && after_table[a].days_count > 0) {
        ++count.after_only_customers;
        count.after_only_rows += before_rows[p][b] + after_rows[p][a];
      } else {
        ++count.without_purchase;
      }
    }
    for (std::uint32_t a = 0; a < after_table.size(); ++a) {
      const std::string_view id = after_table.id(after_table[a]);
      if (before_table.find(id, detail::hash_id(id)) != kNone) continue;  // counted above
      if (after_table[a].days_count > 0) {
        ++count.after_only_customers;
        count.after_only_rows += after_rows[p][a];
      } else {
        ++count.without_purchase;
      }
    }
  });
  std::int64_t without_purchase = 0;
  for (const SideCounts& count : counts) {
    out.after_only_customers += count.after_only_customers;
    out.after_only_rows += count.after_only_rows;
    without_purchase += count.without_purchase;
  }
  return without_purchase;
}

}  // namespace

SplitHistory ingest_split(const LogInput& input, const std::string& source,
                          const IngestOptions& options, Day split) {
  SplitHistory out;
  CustomerBase& base = out.before;
  base.source = source;
  // As in ingest_transactions, one pair of tables per thread, each owning one hash partition of
  // the ids (a customer's rows all go to one partition, so its two histories meet there): the
  // rows on or before the split, and those after it, each with ingest's exact accumulation. Row
  // counts per customer give the rows of the customers who only start buying after the split.
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<CustomerTable> before_tables(partitions);
  std::vector<CustomerTable> after_tables(partitions);
  std::vector<std::vector<std::int64_t>> before_rows(partitions);
  std::vector<std::vector<std::int64_t>> after_rows(partitions);
  const detail::LogScan scan = detail::scan_log(
      input, source, options, threads, partitions, detail::ChooseRuns{}, base.stats,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> parsed) {
        for (const detail::ParsedRow& row : parsed) {
          const bool before = row.first <= split;
          CustomerTable& table = (before ? before_tables : after_tables)[partition];
          std::vector<std::int64_t>& rows = (before ? before_rows : after_rows)[partition];
          const std::uint32_t index =
              table.find_or_insert({block + row.id_offset, row.id_length}, row.hash);
          if (index == rows.size()) rows.push_back(0);
          ++rows[index];
          try {
            if (row.is_return) {
              table.add_return(index, row.first, row.units);
            } else {
              table.add_purchase(index, row.first, row.units);
            }
          } catch (detail::SpendOverflow& overflow) {
            overflow.row = &row;
            throw;
          }
        }
      });

  base.stats.customers_without_purchase =
      count_customers_by_side(before_tables, after_tables, before_rows, after_rows, threads, out);
  std::vector<std::vector<std::int64_t>>().swap(before_rows);
  std::vector<std::vector<std::int64_t>>().swap(after_rows);
  const std::vector<CustomerRef> order = output_order(before_tables, threads);
  if (order.empty() && out.after_only_customers == 0) {
    throw InputError(source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = split;
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;

  // Per customer in output order: its purchase days and spend after the split, and its repeat
  // purchase days on both sides counted by calendar day, in blocks on all threads, each with its
  // own daily counts (integers, so their sum does not depend on the blocks). Done before the
  // summaries, so that the after-split tables and the day lists are freed before those fill
  // memory.
  const std::size_t n = order.size();
  out.after_purchase_days.assign(n, 0);
  out.after_spend.assign(n, 0.0);
  if (n > 0) count_split_days(before_tables, after_tables, order, base.last_day, threads, out);
  std::vector<CustomerTable>().swap(after_tables);
  for (CustomerTable& table : before_tables) table.release_lookup_and_days();
  fill_summaries(before_tables, order, split, base.customers, threads);
  return out;
}

}  // namespace detail

}  // namespace clvkit
