#pragma once
// Ingest from a database: the per-customer summary of a table or query, computed inside the
// database by one generated SQL statement (pushdown), or from its rows streamed through the CSV
// ingest (no pushdown). Both give the CustomerBase that ingest_transactions gives for the same
// rows written as CSV.

#include <string>

#include "clvkit/summary/customer_patterns.hpp"
#include "clvkit/summary/holdout.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// Where the transactions are and how to read them.
struct DatabaseSource {
  /// "postgresql://[user[:password]@]host[:port]/dbname[?param=value...]" (libpq's URI; what
  /// it leaves out libpq takes from PGHOST, PGUSER, PGPASSWORD, PGSERVICE, ~/.pgpass, ...) or
  /// "clickhouse://[user[:password]@]host[:port][/database]" (its HTTP interface).
  std::string url;
  /// The rows: a table (or view) name, "name" or "schema.name" ("database.name"), each part
  /// taken literally (quoted as an SQL identifier) ...
  std::string table;
  /// ... or one SELECT statement whose result has the columns (exactly one of the two is set).
  std::string query;
  /// A password that overrides the URL's and libpq's (read_password_file); empty: none.
  std::string password;
  /// true: the database computes the per-customer summary and the row accounting, and one row
  /// per customer is transferred. false: every row is transferred and summarised by the CSV
  /// ingest (for checking, and for a --date-format the database cannot apply).
  bool pushdown = true;
};

/// The statement that computes, inside the database (in PostgreSQL's or ClickHouse's SQL, as
/// the URL says), the summary of every customer of `source` under `options` (columns, returns
/// and zero-amount policies, as-of day, period): one row per customer (kind 1: id, first and
/// last purchase day and distinct purchase days as day numbers, net spend and
/// first-purchase-day spend in millionths; PostgreSQL leaves out the customers without a
/// purchase day and counts them in the accounting, ClickHouse sends them with 0 days) and one
/// row of row accounting (kind 0). Each row's values are the text the engine prints for them,
/// read with the rules of the CSV ingest: the id trimmed of ASCII spaces (NULL or empty:
/// empty_id), the date in the automatic ISO forms (DateParser; NULL or anything else:
/// bad_date), the amount a plain decimal below 1e12 in magnitude (NULL or anything else:
/// bad_amount), rounded to millionths half away from zero and summed as integers, so that the
/// result is exact and the same as the CSV ingest's (which rounds a 7th decimal through a
/// double: the two can differ only on an amount with more than six decimals that lies within a
/// double's rounding of a half millionth, or of 1e12). A customer's net spend beyond the
/// int64 range (9.2e12 currency units) fails the PostgreSQL statement (IoError) and wraps in
/// ClickHouse. Throws UsageError when `options` ask for what the statement cannot do (a
/// --date-format).
std::string pushdown_summary_sql(const DatabaseSource& source, const IngestOptions& options);

/// What database_patterns computes besides the patterns and the row accounting.
struct PatternParts {
  bool spend = true;    ///< the spend pairs (what Gamma-Gamma is fitted on)
  bool totals = false;  ///< each customer's purchase days and net spend, grouped
};

/// The statement that computes, inside the database, the patterns of the customers of `source`
/// under `options`: pushdown_summary_sql as a subquery, grouped. Its rows have 15 columns: a kind,
/// 13 values and a count. Kind 0, once: the row accounting of pushdown_summary_sql. Kind 1:
/// purchase days, last minus first purchase day, first purchase day, and the customers sharing
/// them (the first purchase day stands for T, which the as-of day decides once the accounting has
/// been read; ClickHouse's customers without a purchase day come as 0 purchase days). Kind 2:
/// purchase days (>= 2), net spend of the repeat purchase days in millionths, and the customers
/// sharing them.
/// `parts` says which kinds besides 0 and 1 are computed: kind 2 when parts.spend (the default);
/// with parts.totals kind 3: purchase days, net spend in millionths, and the customers sharing
/// them. Throws as pushdown_summary_sql.
std::string pushdown_patterns_sql(const DatabaseSource& source, const IngestOptions& options,
                                  const PatternParts& parts = {});

/// The patterns of the customer base ingest_database would read from `source` (with pushdown;
/// source.pushdown is ignored), computed by the database: one row per pattern and spend pair
/// is transferred. The patterns, spend pairs, customers, as-of, first and last day and row
/// accounting are exactly those of the CustomerBase ingest_database(source, options) returns:
/// patterns[i] counts the customers of that base with that (frequency, recency, T), spend[i]
/// those with that (frequency, total spend less first purchase day's spend in millionths).
/// `parts` says what beyond the patterns: the spend pairs (parts.spend, the default; without
/// them CustomerPatterns::spend is empty) and the totals (parts.totals: CustomerPatterns::totals,
/// each customer's purchase days and net spend, which the RFM scores' monetary values are
/// computed from). Throws what ingest_database throws with pushdown.
CustomerPatterns database_patterns(const DatabaseSource& source, const IngestOptions& options,
                                   const PatternParts& parts = {});

/// The statement that lists the rows of `source` as the three text columns id, date, amount
/// (the no-pushdown path), in the engine's SQL.
std::string raw_rows_sql(const DatabaseSource& source, const IngestOptions& options);

/// Reads the customer base of `source`, with pushdown or not, as ingest_transactions reads the
/// same rows written as a CSV log (NULL written as an empty field): the same customers in the
/// same order, the same summaries to the bit, the same row accounting (a database has no
/// wrong_field_count or invalid_utf8 rows). `base.source` is the URL without its password.
///
/// Errors: IoError for anything the database reports (connection, authentication, a missing
/// table or column, a failing query, a server that goes away mid-read), with the URL without
/// its password; UsageError when neither or both of table and query are given, or when
/// pushdown is asked with a --date-format; InputError as ingest_transactions throws it: under
/// BadRowPolicy::fail a rejected row (pushdown: the counts by reason; no pushdown:
/// "source:row+1:column: reason", rows numbered in the query's order), a returns or
/// zero-amount `fail` policy that meets such a row, no customer with a purchase day.
CustomerBase ingest_database(const DatabaseSource& source, const IngestOptions& options);

/// The calibration/holdout split of `source` (ingest_calibration_holdout on its rows as a CSV
/// log). The rows are always streamed: the split is not pushed down (source.pushdown is
/// ignored). Throws what ingest_database and ingest_calibration_holdout throw.
CalibrationHoldout ingest_database_calibration_holdout(const DatabaseSource& source,
                                                       const IngestOptions& options,
                                                       Day calibration_end);

}  // namespace clvkit
