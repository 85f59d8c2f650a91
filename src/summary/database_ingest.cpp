#include "clvkit/summary/database_ingest.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <istream>
#include <memory>
#include <optional>
#include <streambuf>
#include <string_view>
#include <tuple>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/database_rows.hpp"
#include "clvkit/io/database_url.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/sql_dialect.hpp"
#include "clvkit/summary/holdout.hpp"
#include "customer_order.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

SqlDialect dialect_of(const DatabaseSource& source) { return sql_dialect(source.url); }

void check_source(const DatabaseSource& source) {
  if (source.table.empty() == source.query.empty()) {
    throw UsageError(redact_database_url(source.url) +
                     ": give the rows as exactly one of --table NAME and --query SQL");
  }
}

// FROM clause: a table "a" or "schema.table" (each part quoted), or the query as a subquery.
std::string from_clause(const DatabaseSource& source, const SqlDialect& dialect) {
  if (!source.table.empty()) return dialect.table(source.table) + " AS src";
  std::string query = source.query;
  while (!query.empty() && (query.back() == ';' || query.back() == ' ' || query.back() == '\n' ||
                            query.back() == '\t' || query.back() == '\r')) {
    query.pop_back();
  }
  return "(" + query + ") AS src";
}

std::string column(const std::string& name, const SqlDialect& dialect) {
  return "src." + dialect.quote(name);
}

// days_from_civil in SQL integer arithmetic (years 0..9999, as the automatic date forms have):
// the formula of detail::iso_day_number, every term non-negative.
std::string day_number_sql(const SqlDialect& sql, const std::string& y, const std::string& m,
                           const std::string& d) {
  const std::string march = "(CASE WHEN " + m + " <= 2 THEN 1 ELSE 0 END)";
  const std::string sy = "(" + y + " - " + march + " + 400)";
  const std::string mfm = "(CASE WHEN " + m + " <= 2 THEN " + m + " + 9 ELSE " + m + " - 3 END)";
  return "(" + sy + " * 365 + " + sql.div(sy, "4") + " - " + sql.div(sy, "100") + " + " +
         sql.div(sy, "400") + " + " + sql.div("153 * " + mfm + " + 2", "5") + " + " + d +
         " - 1 - 865565)";
}

// Whether the calendar fields y, m, dd, hh, mi, ss, oh, om (of a date whose form date_ok
// checked) make a real date and time: is_valid_date and DateParser's time checks.
std::string valid_date_sql(const SqlDialect& sql) {
  const std::string long_month =
      sql.clickhouse ? "bitAnd(bitXor(m, bitShiftRight(m, 3)), 1)" : "((m # (m >> 3)) & 1)";
  return "date_ok AND m BETWEEN 1 AND 12 AND dd >= 1 AND (dd <= 28 OR (m = 2 AND dd = 29 AND "
         "y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0)) OR (m <> 2 AND dd <= 30 + " +
         long_month + ")) AND hh <= 23 AND mi <= 59 AND ss <= 60 AND oh <= 23 AND om <= 59";
}

// The period start of a used row's day, from its calendar fields (y, m, dd) and day number.
std::string period_day_sql(const SqlDialect& sql, const std::optional<Period>& period) {
  if (!period) return "day";
  switch (*period) {
    case Period::week:  // ISO weeks start on Monday; 1970-01-01 (day 0) was a Thursday
      return "(day - ((day + 3) % 7 + 7) % 7)";
    case Period::month:
      return day_number_sql(sql, "y", "m", "1");
    case Period::quarter:
      return day_number_sql(sql, "y", "(" + sql.div("m - 1", "3") + " * 3 + 1)", "1");
    case Period::year:
      return day_number_sql(sql, "y", "1", "1");
  }
  return "day";
}

// The as-of day the rows are cut at: under a period, the end of the last period complete on it.
std::optional<Day> effective_as_of(const IngestOptions& options) {
  if (options.period && options.as_of) {
    return last_complete_period_end(*options.as_of, *options.period);
  }
  return options.as_of;
}

// Fates of a row in the statement: the RejectReason values, or these.
constexpr int kUsed = 100;
constexpr int kAfterAsOf = 101;

// Values of the accounting row (kind 0), in column order v1..v13.
enum AccountingColumn {
  kRowsRead,
  kRowsUsed,
  kRowsAfterAsOf,
  kEmptyId,
  kBadDate,
  kBadAmount,
  kNegativeDropped,
  kZeroDropped,
  kReturnsNetted,
  kZeroRows,
  kFirstDay,
  kLastDay,
  kWithoutPurchase,
  kAccountingColumns
};

std::int64_t parse_integer(const std::optional<std::string_view>& text, const std::string& source) {
  std::int64_t value = 0;
  if (!text) return 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) {
    throw IoError(source + ": the pushdown query returned '" + std::string(*text) +
                  "' where a whole number was expected");
  }
  return value;
}

// Under BadRowPolicy::fail and the returns and zero-amount `fail` policies, the rows the
// statement counted that the CSV ingest would have stopped at.
void check_policies(const CustomerBase& base, const IngestOptions& options) {
  const IngestStats& stats = base.stats;
  std::string bad;
  const auto add = [&bad](std::int64_t count, const char* what) {
    if (count > 0) bad += (bad.empty() ? "" : ", ") + std::to_string(count) + " " + what;
  };
  if (options.on_bad_row == BadRowPolicy::fail) {
    add(stats.rejected[static_cast<int>(RejectReason::empty_id)],
        ("with a NULL or empty customer id in column '" + options.customer_col + "'").c_str());
    add(stats.rejected[static_cast<int>(RejectReason::bad_date)],
        ("with a NULL or unparsable date in column '" + options.date_col + "'").c_str());
    add(stats.rejected[static_cast<int>(RejectReason::bad_amount)],
        ("with a NULL, unparsable or out of range (|amount| >= 1e12) amount in column '" +
         options.amount_col + "'")
            .c_str());
    if (!bad.empty()) {
      throw InputError(base.source + ": rows " + bad +
                       " (--on-bad-row skip counts and skips them; --no-pushdown names the first)");
    }
  }
  if (options.returns == ReturnsPolicy::fail && stats.returns_netted > 0) {
    throw InputError(base.source + ": " + std::to_string(stats.returns_netted) +
                     " rows with a negative amount (returns=fail)");
  }
  if (options.zero_amounts == ZeroAmountPolicy::fail && stats.zero_amount_rows > 0) {
    throw InputError(base.source + ": " + std::to_string(stats.zero_amount_rows) +
                     " rows with a zero amount (zero-amounts=fail)");
  }
}

// The row accounting of the accounting row's values `a` (customers sent without a purchase
// day, by ClickHouse, added to those the statement counted).
IngestStats accounting_stats(const std::vector<std::int64_t>& a, std::int64_t without_purchase) {
  IngestStats stats;
  stats.rows_read = a[kRowsRead];
  stats.rows_used = a[kRowsUsed];
  stats.rows_after_as_of = a[kRowsAfterAsOf];
  stats.rejected[static_cast<int>(RejectReason::empty_id)] = a[kEmptyId];
  stats.rejected[static_cast<int>(RejectReason::bad_date)] = a[kBadDate];
  stats.rejected[static_cast<int>(RejectReason::bad_amount)] = a[kBadAmount];
  stats.rejected[static_cast<int>(RejectReason::negative_amount)] = a[kNegativeDropped];
  stats.rejected[static_cast<int>(RejectReason::zero_amount)] = a[kZeroDropped];
  stats.returns_netted = a[kReturnsNetted];
  stats.zero_amount_rows = a[kZeroRows];
  stats.customers_without_purchase = a[kWithoutPurchase] + without_purchase;
  return stats;
}

// The base's as-of day, given the last used day: the as-of of the options (under a period, the
// end of the last period complete on it) or the last day, as a period start under a period.
Day base_as_of(const IngestOptions& options, Day last_day) {
  const Day as_of = effective_as_of(options).value_or(last_day);
  return options.period ? period_start(as_of, *options.period) : as_of;
}

CustomerBase pushdown(const DatabaseSource& source, const IngestOptions& options) {
  const std::string sql = pushdown_summary_sql(source, options);
  const std::unique_ptr<DatabaseRows> rows = query_database({source.url, source.password}, sql);
  DatabaseRows& query = *rows;
  CustomerBase base;
  base.source = query.source();
  std::int64_t without_purchase = 0;  // customers sent with no purchase day (ClickHouse)
  // The customers go into a table of ingest's accumulators, so that their order and the
  // arithmetic of their summaries are ingest's own (output_order, fill_summaries).
  std::vector<detail::CustomerTable> tables;
  tables.emplace_back(detail::DayTracking::ordered);
  detail::CustomerTable& table = tables.front();
  std::optional<std::vector<std::int64_t>> accounting;
  std::vector<std::optional<std::string_view>> values;
  while (query.next(values)) {
    if (values.size() != 2 + kAccountingColumns) {
      throw IoError(base.source + ": the pushdown query returned " + std::to_string(values.size()) +
                    " columns");
    }
    const std::int64_t kind = parse_integer(values[0], base.source);
    if (kind == 0) {
      accounting.emplace();
      for (int i = 0; i < kAccountingColumns; ++i) {
        accounting->push_back(parse_integer(values[2 + i], base.source));
      }
      continue;
    }
    if (!values[1]) throw IoError(base.source + ": the pushdown query returned a NULL id");
    const std::string_view id = *values[1];
    detail::Accumulator summary;
    summary.first = static_cast<Day>(parse_integer(values[2], base.source));
    summary.last = static_cast<Day>(parse_integer(values[3], base.source));
    summary.days_count = static_cast<std::uint32_t>(parse_integer(values[4], base.source));
    summary.total = parse_integer(values[5], base.source);
    summary.first_day_spend = parse_integer(values[6], base.source);
    if (summary.days_count == 0) {
      ++without_purchase;
      continue;
    }
    const std::uint32_t index = table.find_or_insert(id, detail::hash_id(id));
    table.append_later(index, summary);
  }
  if (!accounting) throw IoError(base.source + ": the pushdown query returned no row accounting");
  const std::vector<std::int64_t>& a = *accounting;
  base.stats = accounting_stats(a, without_purchase);
  check_policies(base, options);

  const int threads = std::max(options.threads, 1);
  table.release_lookup_and_days();
  const std::vector<detail::CustomerRef> order = detail::output_order(tables, threads);
  if (order.empty()) {
    throw InputError(base.source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.first_day = static_cast<Day>(a[kFirstDay]);
  base.last_day = static_cast<Day>(a[kLastDay]);
  base.as_of = base_as_of(options, base.last_day);
  detail::fill_summaries(tables, order, base.as_of, base.customers, threads);
  return base;
}

// The rows of a query as a CSV log (header, then one record per row, NULL as an empty field),
// produced a batch at a time as the ingest reads: no copy of the whole result is ever held.
// A database error cannot cross the stream (istream turns it into badbit): it is kept, and
// rethrown by the caller.
class QueryCsvBuffer : public std::streambuf {
 public:
  QueryCsvBuffer(DatabaseRows& query, const IngestOptions& options) : query_(query) {
    detail::append_csv_header(text_, options);
    setg(text_.data(), text_.data(), text_.data() + text_.size());
  }
  std::exception_ptr error;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    text_.clear();
    try {
      constexpr std::size_t kBatchBytes = 1 << 20;
      while (text_.size() < kBatchBytes && query_.next(values_)) {
        for (std::size_t i = 0; i < values_.size(); ++i) {
          if (i > 0) text_ += ',';
          if (values_[i]) append_csv_field(text_, *values_[i]);
        }
        text_ += '\n';
      }
    } catch (...) {
      error = std::current_exception();
      text_.clear();
    }
    setg(text_.data(), text_.data(), text_.data() + text_.size());
    if (text_.empty()) return traits_type::eof();
    return traits_type::to_int_type(*gptr());
  }

 private:
  DatabaseRows& query_;
  std::string text_;
  std::vector<std::optional<std::string_view>> values_;
};

// `read(stream, source, options)` on the rows of `source` as a CSV log; a database error that
// ended the stream early is rethrown in place of whatever the reader made of the short log.
template <class Read>
auto read_rows_as_csv(const DatabaseSource& source, const IngestOptions& options,
                      const Read& read) {
  const std::unique_ptr<DatabaseRows> rows =
      query_database({source.url, source.password}, raw_rows_sql(source, options));
  DatabaseRows& query = *rows;
  QueryCsvBuffer buffer(query, options);
  std::istream in(&buffer);
  IngestOptions csv = options;
  csv.delimiter = ',';
  try {
    auto result = read(in, query.source(), csv);
    if (buffer.error) std::rethrow_exception(buffer.error);
    return result;
  } catch (...) {
    if (buffer.error) std::rethrow_exception(buffer.error);
    throw;
  }
}

void check_url(const DatabaseSource& source) {
  if (!database_kind(source.url)) {
    throw UsageError("'" + redact_database_url(source.url) +
                     "' is not a database URL (postgresql://... or clickhouse://...)");
  }
}

// The date: the automatic forms of DateParser, YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|+HH:MM],
// checked by one regular expression; the numbers are then at fixed places (an offset, when there
// is one, ends the text).
constexpr const char* kDatePattern =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
    "(Z|[+-][0-9]{2}:[0-9]{2})?)?$";
constexpr const char* kOffsetPattern = "[+-][0-9]{2}:[0-9]{2}$";
// The amount: what the CSV ingest's parser accepts (an optional sign, digits with at most one
// '.', no exponent); its magnitude is checked apart.
constexpr const char* kAmountPattern = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$";

std::string fate_is(int code) { return "fate = " + std::to_string(code); }

// The accounting row's counts, in AccountingColumn order up to kZeroRows: every row, the used
// ones, those after the as-of day, the rejected by reason, the returns netted and the zero
// amounts kept (`negative` and `zero` say which rows those are in the engine's SQL).
template <class CountIf>
std::string accounting_counts_sql(const std::string& count_all, const CountIf& count_if,
                                  const std::string& negative, const std::string& zero) {
  const std::string used = fate_is(kUsed);
  std::string out = count_all + ", " + count_if(used) + ", " + count_if(fate_is(kAfterAsOf));
  for (const RejectReason reason :
       {RejectReason::empty_id, RejectReason::bad_date, RejectReason::bad_amount,
        RejectReason::negative_amount, RejectReason::zero_amount}) {
    out += ", " + count_if(fate_is(static_cast<int>(reason)));
  }
  return out + ", " + count_if(used + " AND " + negative) + ", " + count_if(used + " AND " + zero);
}

// A row's fate: the first of the CSV ingest's checks it fails (the conditions are SQL of the
// engine at hand), after the as-of day, dropped by a policy, or used.
std::string fate_sql(const IngestOptions& options, const std::string& empty_id,
                     const std::string& bad_date, const std::string& bad_amount,
                     const std::string& negative, const std::string& zero) {
  const auto when = [](const std::string& condition, int code) {
    return " WHEN " + condition + " THEN " + std::to_string(code);
  };
  std::string fate = "CASE" + when(empty_id, static_cast<int>(RejectReason::empty_id)) +
                     when(bad_date, static_cast<int>(RejectReason::bad_date)) +
                     when(bad_amount, static_cast<int>(RejectReason::bad_amount));
  if (const std::optional<Day> as_of = effective_as_of(options)) {
    fate += when("day > " + std::to_string(*as_of), kAfterAsOf);
  }
  if (options.returns == ReturnsPolicy::drop) {
    fate += when(negative, static_cast<int>(RejectReason::negative_amount));
  }
  if (options.zero_amounts == ZeroAmountPolicy::drop) {
    fate += when(zero, static_cast<int>(RejectReason::zero_amount));
  }
  return fate + " ELSE " + std::to_string(kUsed) + " END";
}

std::string postgres_summary_sql(const DatabaseSource& source, const IngestOptions& options,
                                 const SqlDialect& sql) {
  // The calendar fields of a date of the right form (only such a date is cut up: CAST of
  // anything else would fail the statement).
  std::string date_fields;
  const auto field = [&date_fields](const std::string& name, const std::string& when,
                                    const std::string& start, const char* length) {
    if (!date_fields.empty()) date_fields += ", ";
    date_fields += "CASE WHEN date_ok" + when + " THEN CAST(substr(date_text, " + start + ", " +
                   length + ") AS int) ELSE 0 END AS " + name;
  };
  const std::string offset = std::string(" AND date_text ~ '") + kOffsetPattern + "'";
  field("y", "", "1", "4");
  field("m", "", "6", "2");
  field("dd", "", "9", "2");
  field("hh", " AND length(date_text) > 10", "12", "2");
  field("mi", " AND length(date_text) > 10", "15", "2");
  field("ss", " AND substr(date_text, 17, 1) = ':'", "18", "2");
  field("oh", offset, "length(date_text) - 4", "2");
  field("om", offset, "length(date_text) - 1", "2");
  const std::string fate =
      fate_sql(options, "id IS NULL OR id = ''", "day IS NULL",
               "amount IS NULL OR abs(amount) >= 1000000000000", "amount < 0", "amount = 0");
  const auto count_if = [](const std::string& condition) {
    return "count(*) FILTER (WHERE " + condition + ")";
  };
  const std::string used = fate_is(kUsed);
  const std::string nulls8 = ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

  return
      // The rows as text, trimmed as the CSV ingest trims its fields.
      "WITH clvkit_rows AS (SELECT btrim(CAST(" + column(options.customer_col, sql) +
      " AS text), ' ') AS id, btrim(CAST(" + column(options.date_col, sql) +
      " AS text), E' \\t') AS date_text, btrim(CAST(" + column(options.amount_col, sql) +
      " AS text), E' \\t') AS amount_text FROM " + from_clause(source, sql) +
      " OFFSET 0),\n"
      "clvkit_checked AS (SELECT id, date_text, date_text ~ '" +
      kDatePattern + "' AS date_ok, CASE WHEN amount_text ~ '" + kAmountPattern +
      "' THEN CAST(amount_text AS numeric) END AS amount FROM clvkit_rows OFFSET 0),\n"
      "clvkit_fields AS (SELECT id, amount, date_ok, " +
      date_fields +
      " FROM clvkit_checked "
      "OFFSET 0),\n"
      "clvkit_days AS (SELECT id, amount, y, m, CASE WHEN " +
      valid_date_sql(sql) + " THEN " + day_number_sql(sql, "y", "m", "dd") +
      " END AS day FROM clvkit_fields OFFSET 0),\n"
      // Each row's fate (used, after the as-of day, or the reason it is rejected) and the day it
      // counts on (its period's first under a period).
      "clvkit_classified AS (SELECT id, amount, " +
      fate + " AS fate, " + period_day_sql(sql, options.period) +
      " AS pday FROM clvkit_days),\n"
      // Per customer and day: net spend in millionths, and whether a purchase happened on it
      // (a return is never a purchase occasion).
      "clvkit_customer_days AS (SELECT id, pday AS day, CAST(sum(CAST(round(amount, 6) * 1000000 "
      "AS bigint)) AS bigint) AS spend, bool_or(amount >= 0) AS purchase FROM clvkit_classified "
      "WHERE " +
      used +
      " GROUP BY id, pday),\n"
      // Per customer; the spend of the first purchase day is carried to the aggregate in the
      // low digits of a key whose high digits are the day, so that the smallest key is that
      // day's (one pass, no join back to the days).
      "clvkit_customers AS (SELECT id, min(day) FILTER (WHERE purchase) AS first_day, max(day) "
      "FILTER (WHERE purchase) AS last_day, count(*) FILTER (WHERE purchase) AS days, "
      "CAST(sum(spend) AS bigint) AS total, min(CASE WHEN purchase THEN CAST(day + 1000000 AS "
      "numeric) * 100000000000000000000 + spend + 50000000000000000000 END) AS first_key FROM "
      "clvkit_customer_days GROUP BY id)\n"
      "SELECT 1 AS kind, id, CAST(first_day AS bigint), CAST(last_day AS bigint), days, total, "
      "CAST(mod(first_key, 100000000000000000000) - 50000000000000000000 AS bigint)" +
      nulls8 +
      " FROM clvkit_customers WHERE first_day IS NOT NULL\n"
      "UNION ALL SELECT 0, NULL, " +
      accounting_counts_sql("count(*)", count_if, "amount < 0", "amount = 0") +
      ", CAST(min(pday) FILTER (WHERE " + used + ") AS bigint), CAST(max(pday) FILTER (WHERE " +
      used +
      ") AS bigint), (SELECT count(*) FROM clvkit_customers WHERE first_day IS NULL) "
      "FROM clvkit_classified";
}

// The same statement in ClickHouse's SQL (18.16: no WITH subqueries, no FILTER, no NUMERIC):
// one SELECT gives every row's fields by aliases, the amount is cut into its digits and
// rounded to millionths in integer arithmetic, and the first purchase day's spend comes from
// argMinIf. Customers without a purchase day come as rows with 0 days (counted by the reader).
std::string clickhouse_summary_sql(const DatabaseSource& source, const IngestOptions& options,
                                   const SqlDialect& sql) {
  const auto text = [&](const std::string& name, const char* trim) {
    return "replaceRegexpAll(ifNull(toString(" + column(name, sql) + "), ''), '" + trim + "', '')";
  };
  const auto number = [](const std::string& when, const std::string& start, const char* length) {
    return "if(" + when + ", toInt32OrZero(substring(date_text, " + start + ", " + length +
           ")), 0)";
  };
  const std::string offset = std::string("match(date_text, '") + kOffsetPattern + "')";
  const std::string rows =
      "SELECT " + text(options.customer_col, "^ +| +$") + " AS id, " +
      text(options.date_col, "^[ \\t]+|[ \\t]+$") + " AS date_text, " +
      text(options.amount_col, "^[ \\t]+|[ \\t]+$") + " AS amount_text, match(date_text, '" +
      kDatePattern + "') AS date_ok, " + number("1", "1", "4") + " AS y, " + number("1", "6", "2") +
      " AS m, " + number("1", "9", "2") + " AS dd, " + number("length(date_text) > 10", "12", "2") +
      " AS hh, " + number("length(date_text) > 10", "15", "2") + " AS mi, " +
      number("substring(date_text, 17, 1) = ':'", "18", "2") + " AS ss, " +
      number(offset, "length(date_text) - 4", "2") + " AS oh, " +
      number(offset, "length(date_text) - 1", "2") + " AS om, " + valid_date_sql(sql) +
      " AS date_valid, " + day_number_sql(sql, "y", "m", "dd") +
      " AS day, replaceRegexpOne(amount_text, '^[+-]', '') AS body, position(body, '.') AS dot, "
      "replaceRegexpOne(if(dot = 0, body, substring(body, 1, dot - 1)), '^0+', '') AS whole, "
      "if(dot = 0, '', substring(body, dot + 1)) AS fraction, match(amount_text, '" +
      kAmountPattern +
      "') AND length(whole) <= 12 AS amount_valid, match(body, '^[0.]+$') AS raw_zero, "
      "substring(amount_text, 1, 1) = '-' AND NOT raw_zero AS negative, toInt64OrZero(whole) * "
      "1000000 + toInt64OrZero(substring(concat(fraction, '000000'), 1, 6)) + "
      "(substring(concat(fraction, '0000000'), 7, 1) >= '5') AS magnitude, if(negative, "
      "-magnitude, magnitude) AS units, " +
      fate_sql(options, "id = ''", "NOT date_valid", "NOT amount_valid", "negative", "raw_zero") +
      " AS fate, " + period_day_sql(sql, options.period) + " AS pday FROM " +
      from_clause(source, sql);
  const std::string used = fate_is(kUsed);
  const auto count_if = [](const std::string& condition) {
    return "toInt64(countIf(" + condition + "))";
  };
  std::string zeros;
  for (int i = 6; i <= 13; ++i) zeros += ", toInt64(0) AS v" + std::to_string(i);
  return "SELECT toInt64(1) AS kind, id, toInt64(minIf(pday, purchase)) AS v1, "
         "toInt64(maxIf(pday, purchase)) AS v2, toInt64(countIf(purchase)) AS v3, "
         "toInt64(sum(spend)) AS v4, toInt64(argMinIf(spend, pday, purchase)) AS v5" +
         zeros +
         " FROM (SELECT id, pday, sum(units) AS spend, max(negative = 0) AS purchase "
         "FROM (" +
         rows + ") WHERE " + used +
         " GROUP BY id, pday) GROUP BY id\n"
         "UNION ALL SELECT toInt64(0), '', " +
         accounting_counts_sql("toInt64(count())", count_if, "negative", "raw_zero") +
         ", toInt64(minIf(pday, " + used + ")), toInt64(maxIf(pday, " + used +
         ")), toInt64(0) FROM (" + rows + ")";
}

}  // namespace

std::string pushdown_summary_sql(const DatabaseSource& source, const IngestOptions& options) {
  check_source(source);
  if (!options.date_format.empty()) {
    throw UsageError("--date-format " + options.date_format +
                     " is applied by clvkit, not by the database: read with --no-pushdown, or "
                     "give a date column (or a --query that converts it to a date)");
  }
  const SqlDialect sql = dialect_of(source);
  return sql.clickhouse ? clickhouse_summary_sql(source, options, sql)
                        : postgres_summary_sql(source, options, sql);
}

std::string pushdown_patterns_sql(const DatabaseSource& source, const IngestOptions& options,
                                  const PatternParts& parts) {
  const std::string summary = pushdown_summary_sql(source, options);
  const SqlDialect sql = dialect_of(source);
  // Every customer row twice (k = 1: its pattern, k = 2: its spend pair, for repeat buyers; with
  // totals three times, k = 3: its purchase days and net spend), the accounting row once, into
  // columns a1..a13 that one GROUP BY counts.
  std::string columns =
      "CASE WHEN kind = 0 THEN 0 ELSE k END AS out_kind, "
      "CASE WHEN kind = 0 THEN v1 ELSE v3 END AS a1, "
      "CASE WHEN kind = 0 THEN v2 WHEN k = 1 THEN v2 - v1 WHEN k = 3 THEN v4 ELSE v4 - v5 END AS "
      "a2, "
      "CASE WHEN kind = 0 THEN v3 WHEN k = 1 THEN v1 ELSE 0 END AS a3";
  std::string group = "out_kind, a1, a2, a3";
  for (int i = 4; i <= kAccountingColumns; ++i) {
    const std::string n = std::to_string(i);
    columns += ", CASE WHEN kind = 0 THEN v" + n + " ELSE 0 END AS a" + n;
    group += ", a" + n;
  }
  const std::string which = std::string(" WHERE (kind = 0 AND k = 1) OR (kind = 1 AND (k = 1 OR ") +
                            (parts.totals ? "(k = 3 AND v3 >= 1) OR " : "") +
                            (parts.spend ? "(k = 2 AND v3 >= 2)" : "1 = 0") + "))";
  const std::string copies =
      std::string("[1") + (parts.spend ? ", 2" : "") + (parts.totals ? ", 3" : "") + "]";
  std::string values_list;
  for (int i = 1; i <= kAccountingColumns; ++i) values_list += ", v" + std::to_string(i);
  if (sql.clickhouse) {
    return "SELECT " + group + ", count() AS n FROM (SELECT " + columns + " FROM (" + summary +
           ") ARRAY JOIN " + copies + " AS k" + which + ") GROUP BY " + group;
  }
  return "WITH clvkit_summary(kind, id" + values_list + ") AS (" + summary + ")\nSELECT " + group +
         ", count(*) AS n FROM (SELECT " + columns + " FROM clvkit_summary CROSS JOIN (VALUES (1)" +
         (parts.spend ? ", (2)" : "") + (parts.totals ? ", (3)" : "") + ") AS clvkit_k(k)" + which +
         ") AS clvkit_copies GROUP BY " + group;
}

CustomerPatterns database_patterns(const DatabaseSource& source, const IngestOptions& options,
                                   const PatternParts& parts) {
  check_url(source);
  const std::string sql = pushdown_patterns_sql(source, options, parts);
  const std::unique_ptr<DatabaseRows> rows = query_database({source.url, source.password}, sql);
  DatabaseRows& query = *rows;
  CustomerPatterns out;
  out.source = query.source();
  // Purchase days, recency and first purchase day (T is known once the accounting is).
  struct Found {
    std::int64_t days;
    std::int64_t recency;
    std::int64_t first;
    std::int64_t customers;
  };
  std::vector<Found> found;
  std::int64_t without_purchase = 0;
  std::optional<std::vector<std::int64_t>> accounting;
  std::vector<std::optional<std::string_view>> values;
  while (query.next(values)) {
    ++out.rows_transferred;
    if (values.size() != 2 + kAccountingColumns) {
      throw IoError(out.source + ": the patterns query returned " + std::to_string(values.size()) +
                    " columns");
    }
    const std::int64_t kind = parse_integer(values[0], out.source);
    const auto value = [&](int i) { return parse_integer(values[i], out.source); };
    if (kind == 0) {
      accounting.emplace();
      for (int i = 0; i < kAccountingColumns; ++i) accounting->push_back(value(1 + i));
    } else if (kind == 1) {
      const std::int64_t customers = value(1 + kAccountingColumns);
      if (value(1) == 0) {
        without_purchase += customers;
      } else {
        found.push_back({value(1), value(2), value(3), customers});
      }
    } else if (kind == 2 && parts.spend) {
      out.spend.push_back({value(1) - 1, value(2), value(1 + kAccountingColumns)});
    } else if (kind == 3 && parts.totals) {
      out.totals.push_back({value(1), value(2), value(1 + kAccountingColumns)});
    } else {
      throw IoError(out.source + ": the patterns query returned a row of kind " +
                    std::to_string(kind));
    }
  }
  out.bytes_transferred = static_cast<std::int64_t>(query.bytes_received());
  if (!accounting) throw IoError(out.source + ": the patterns query returned no row accounting");
  const std::vector<std::int64_t>& a = *accounting;
  CustomerBase base;  // for the checks' messages: no customers
  base.source = out.source;
  base.stats = accounting_stats(a, without_purchase);
  check_policies(base, options);
  if (found.empty()) {
    throw InputError(base.source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  out.stats = base.stats;
  out.first_day = static_cast<Day>(a[kFirstDay]);
  out.last_day = static_cast<Day>(a[kLastDay]);
  out.as_of = base_as_of(options, out.last_day);
  out.patterns.reserve(found.size());
  for (const Found& f : found) {
    out.patterns.push_back({f.days - 1, static_cast<std::int32_t>(f.recency),
                            static_cast<std::int32_t>(out.as_of - f.first), f.customers});
    out.customers += f.customers;
  }
  const auto pattern_key = [](const SummaryPattern& p) {
    return std::tuple(p.frequency, p.recency, p.T);
  };
  std::sort(out.patterns.begin(), out.patterns.end(),
            [&](const SummaryPattern& l, const SummaryPattern& r) {
              return pattern_key(l) < pattern_key(r);
            });
  std::sort(out.spend.begin(), out.spend.end(), [](const SpendPair& l, const SpendPair& r) {
    return std::tie(l.frequency, l.repeat_spend) < std::tie(r.frequency, r.repeat_spend);
  });
  std::sort(out.totals.begin(), out.totals.end(), [](const TotalSpend& l, const TotalSpend& r) {
    return std::tie(l.purchase_days, l.total) < std::tie(r.purchase_days, r.total);
  });
  return out;
}

std::string raw_rows_sql(const DatabaseSource& source, const IngestOptions& options) {
  check_source(source);
  const SqlDialect sql = dialect_of(source);
  const auto text = [&](const std::string& name) {
    return sql.clickhouse ? "toString(" + column(name, sql) + ")"
                          : "CAST(" + column(name, sql) + " AS text)";
  };
  return "SELECT " + text(options.customer_col) + ", " + text(options.date_col) + ", " +
         text(options.amount_col) + " FROM " + from_clause(source, sql);
}

CustomerBase ingest_database(const DatabaseSource& source, const IngestOptions& options) {
  check_url(source);
  if (source.pushdown) return pushdown(source, options);
  return read_rows_as_csv(source, options,
                          [](std::istream& in, const std::string& name, const IngestOptions& csv) {
                            return ingest_transactions(in, name, csv);
                          });
}

CalibrationHoldout ingest_database_calibration_holdout(const DatabaseSource& source,
                                                       const IngestOptions& options,
                                                       Day calibration_end) {
  check_url(source);
  return read_rows_as_csv(source, options,
                          [&](std::istream& in, const std::string& name, const IngestOptions& csv) {
                            return ingest_calibration_holdout(in, name, csv, calibration_end);
                          });
}

}  // namespace clvkit
