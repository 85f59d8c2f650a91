#pragma once
// Reading a query's rows from PostgreSQL (libpq through libpqxx), as text, in batches.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/io/database_rows.hpp"

namespace clvkit {

/// A query's result read forward once, a batch of rows at a time, on a connection of its own in
/// a read-only transaction (a server-side cursor: the result is never held whole on either
/// side). Values arrive as PostgreSQL's text output, with the session's DateStyle set to ISO
/// (a date reads "1997-01-01") and its float output at shortest round-trip precision.
///
/// Errors: every failure (connection refused, authentication, a missing table or column, an
/// error while the query runs, the server going away mid-stream) throws IoError
/// "<url without password>: <libpq's or the server's message, first line>" ("lost the
/// connection to the server (...)" when it went away). No message ever
/// contains the password (redact_database_url).
class PostgresQuery final : public DatabaseRows {
 public:
  /// Connects to `connect.url`, a libpq URI "postgresql://[user[:password]@][host][:port]
  /// [/dbname][?param=value&...]" (what it leaves out, libpq takes from its environment as
  /// usual: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSERVICE with pg_service.conf, ~/.pgpass or
  /// PGPASSFILE; connect.password overrides them), and starts `sql` (one SELECT statement,
  /// without a trailing ';'), fetching `batch_rows` rows at a time.
  PostgresQuery(const DatabaseConnection& connect, const std::string& sql,
                std::size_t batch_rows = 20000);
  PostgresQuery(const PostgresQuery&) = delete;
  PostgresQuery& operator=(const PostgresQuery&) = delete;
  ~PostgresQuery();

  /// The next row's values (nullopt for NULL, views valid until the next call), or false after
  /// the last row. Throws IoError as described above.
  bool next(std::vector<std::optional<std::string_view>>& values) override;

  /// Columns of the result.
  std::size_t columns() const noexcept;
  /// Bytes of values received so far (text, NULLs count 0): what crossed the wire, roughly.
  std::size_t bytes_received() const noexcept override;
  /// The URL without its password, as messages show it.
  const std::string& source() const noexcept override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Runs `statements` (none returning rows) in one transaction on one connection to
/// `connect.url`, committed after the last (execute_database). Throws IoError as PostgresQuery,
/// "<url>: statement K of N: <message>" when a statement fails (nothing is committed).
void execute_postgres(const DatabaseConnection& connect, const std::vector<std::string>& statements);

}  // namespace clvkit
