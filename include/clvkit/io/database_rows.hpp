#pragma once
// A query's rows read from a database, whichever the engine: the interface the database
// ingest reads through, and the function that opens one for a URL.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clvkit {

/// How to reach a database.
struct DatabaseConnection {
  /// "postgresql://..." (PostgresQuery) or "clickhouse://..." (ClickHouseQuery).
  std::string url;
  /// A password that overrides the URL's (and, for PostgreSQL, libpq's); empty: none.
  std::string password;
};

/// The rows of one query, read forward once, every value as the text the engine prints for it.
/// Every failure throws IoError "<url without password>: <the engine's message>".
class DatabaseRows {
 public:
  virtual ~DatabaseRows() = default;
  /// The next row's values (nullopt for NULL, views valid until the next call), or false after
  /// the last row.
  virtual bool next(std::vector<std::optional<std::string_view>>& values) = 0;
  /// Bytes of values received so far: what crossed the wire, roughly.
  virtual std::size_t bytes_received() const noexcept = 0;
  /// The URL without its password, as messages show it.
  virtual const std::string& source() const noexcept = 0;
};

/// Runs `sql` (one SELECT, no trailing ';', no FORMAT clause) on the database `connection.url`
/// names. Throws UsageError for a URL of no known engine, IoError as DatabaseRows does.
std::unique_ptr<DatabaseRows> query_database(const DatabaseConnection& connection,
                                             const std::string& sql);

/// Runs `statements` (each one statement that returns no rows: CREATE, INSERT, DROP, ...; no
/// trailing ';') in order on the database `connection.url` names, on one connection.
/// PostgreSQL runs them in one transaction, committed after the last: all or nothing (its DDL is
/// transactional), and a TEMPORARY table lives until then. ClickHouse has no transactions: each
/// statement is one HTTP request, and those before a failing one stay done (the caller undoes
/// them). Throws UsageError and IoError as query_database; IoError names the statement's place
/// ("statement 3 of 5: ...").
void execute_database(const DatabaseConnection& connection,
                      const std::vector<std::string>& statements);

}  // namespace clvkit
