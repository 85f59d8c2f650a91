#include "clvkit/io/database_rows.hpp"

#include "clvkit/error.hpp"
#include "clvkit/io/clickhouse.hpp"
#include "clvkit/io/database_url.hpp"
#include "clvkit/io/postgresql.hpp"

namespace clvkit {

namespace {

DatabaseKind kind_of(const DatabaseConnection& connection) {
  const std::optional<DatabaseKind> kind = database_kind(connection.url);
  if (!kind) {
    throw UsageError("'" + redact_database_url(connection.url) +
                     "' is not a database URL (postgresql://... or clickhouse://...)");
  }
  return *kind;
}

}  // namespace

void execute_database(const DatabaseConnection& connection,
                      const std::vector<std::string>& statements) {
  switch (kind_of(connection)) {
    case DatabaseKind::postgresql:
      return execute_postgres(connection, statements);
    case DatabaseKind::clickhouse:
      return execute_clickhouse(connection, statements);
  }
}

std::unique_ptr<DatabaseRows> query_database(const DatabaseConnection& connection,
                                             const std::string& sql) {
  switch (kind_of(connection)) {
    case DatabaseKind::postgresql:
      return std::make_unique<PostgresQuery>(connection, sql);
    case DatabaseKind::clickhouse:
      return std::make_unique<ClickHouseQuery>(connection, sql);
  }
  return nullptr;
}

}  // namespace clvkit
