#pragma once
// Reading a query's rows from ClickHouse through its HTTP interface (libcurl), as text.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/io/database_rows.hpp"

namespace clvkit {

/// A query's result from ClickHouse's HTTP interface, in TabSeparated format: the statement is
/// POSTed to http://host:port/?database=db&wait_end_of_query=1 (the server finishes the query
/// before it answers, so that an error is an HTTP status and not text appended to rows), and the
/// whole answer is held in memory and handed out row by row. Values are ClickHouse's text forms
/// (a Date reads "1997-01-01", a Decimal(12,2) "29.33"), TabSeparated escapes undone; NULL is
/// nullopt.
///
/// URL: "clickhouse://[user[:password]@]host[:port][/database]" (port 8123 and database
/// "default" when left out, user "default"); user and password may be percent-encoded and go
/// to the server by HTTP basic authentication. Errors: IoError "<url without password>: <curl's
/// or the server's message, first line>" for a refused connection, a server error (unknown table
/// or column, a failing query, authentication) and an answer cut short ("lost the connection to
/// the server (...)").
class ClickHouseQuery final : public DatabaseRows {
 public:
  ClickHouseQuery(const DatabaseConnection& connect, const std::string& sql);
  ClickHouseQuery(const ClickHouseQuery&) = delete;
  ClickHouseQuery& operator=(const ClickHouseQuery&) = delete;
  ~ClickHouseQuery() override;

  bool next(std::vector<std::optional<std::string_view>>& values) override;
  std::size_t bytes_received() const noexcept override;
  const std::string& source() const noexcept override;

 private:
  std::string source_;
  std::string body_;                    ///< the answer, TabSeparated
  std::size_t position_ = 0;            ///< start of the next line in body_
  std::vector<std::string> unescaped_;  ///< values whose escapes were undone, this row
};

/// POSTs `statements` (none returning rows) one by one to the server of `connect.url`
/// (execute_database); those before a failing one stay done. Throws IoError as ClickHouseQuery,
/// "<url>: statement K of N: <message>" when a statement fails.
void execute_clickhouse(const DatabaseConnection& connect,
                        const std::vector<std::string>& statements);

}  // namespace clvkit
