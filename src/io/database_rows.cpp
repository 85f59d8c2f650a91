#include "clvkit/io/database_rows.hpp"

#include "clvkit/error.hpp"
#include "clvkit/io/clickhouse.hpp"
#include "clvkit/io/database_url.hpp"
#include "clvkit/io/postgresql.hpp"

namespace clvkit {

std::unique_ptr<DatabaseRows> query_database(const DatabaseConnection& connection,
                                             const std::string& sql) {
  const std::optional<DatabaseKind> kind = database_kind(connection.url);
  if (!kind) {
    throw UsageError("'" + redact_database_url(connection.url) +
                     "' is not a database URL (postgresql://... or clickhouse://...)");
  }
  switch (*kind) {
    case DatabaseKind::postgresql:
      return std::make_unique<PostgresQuery>(connection, sql);
    case DatabaseKind::clickhouse:
      return std::make_unique<ClickHouseQuery>(connection, sql);
  }
  return nullptr;
}

}  // namespace clvkit
