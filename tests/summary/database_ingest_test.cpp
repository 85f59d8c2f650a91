// The database ingest's generated SQL without a server: identifiers quoted whatever they hold,
// the source given exactly once, and what the statement cannot do refused before connecting.
// (The statements' results are tested against running servers in tests/db, label db.)

#include "clvkit/summary/database_ingest.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "clvkit/error.hpp"

using clvkit::DatabaseSource;
using clvkit::IngestOptions;
using clvkit::pushdown_summary_sql;
using clvkit::raw_rows_sql;

TEST_CASE("Generated SQL quotes table and column names as identifiers, per engine",
          "[database_ingest][inputcheck]") {
  IngestOptions options;
  options.customer_col = "cust\"; DROP TABLE x; --";
  options.amount_col = "net`amount";
  DatabaseSource pg{"postgresql://h/db", "sales.order\"s", "", "", true};
  const std::string rows = raw_rows_sql(pg, options);
  CHECK(rows ==
        "SELECT CAST(src.\"cust\"\"; DROP TABLE x; --\" AS text), CAST(src.\"date\" AS text), "
        "CAST(src.\"net`amount\" AS text) FROM \"sales\".\"order\"\"s\" AS src");
  CHECK_THAT(pushdown_summary_sql(pg, options),
             Catch::Contains("FROM \"sales\".\"order\"\"s\" AS src") &&
                 Catch::Contains("src.\"cust\"\"; DROP TABLE x; --\""));
  DatabaseSource ch{"clickhouse://h:8123/db", "shop.orders", "", "", true};
  CHECK(raw_rows_sql(ch, options) ==
        "SELECT toString(src.`cust\"; DROP TABLE x; --`), toString(src.`date`), "
        "toString(src.`net\\`amount`) FROM `shop`.`orders` AS src");
  // A query is a subquery, its trailing ';' and blanks dropped.
  DatabaseSource query{"postgresql://h/db", "", "SELECT * FROM t;  \n", "", true};
  CHECK_THAT(raw_rows_sql(query, IngestOptions{}),
             Catch::EndsWith("FROM (SELECT * FROM t) AS src"));
}

TEST_CASE("Generated SQL needs exactly one of table and query, and no --date-format",
          "[database_ingest][inputcheck]") {
  IngestOptions options;
  DatabaseSource both{"postgresql://u:secret@h/db", "t", "SELECT 1", "", true};
  CHECK_THROWS_MATCHES(pushdown_summary_sql(both, options), clvkit::UsageError,
                       Catch::Message("postgresql://u@h/db: give the rows as exactly one of "
                                      "--table NAME and --query SQL"));
  DatabaseSource neither{"postgresql://h/db", "", "", "", true};
  CHECK_THROWS_AS(raw_rows_sql(neither, options), clvkit::UsageError);
  options.date_format = "%Y%m%d";
  DatabaseSource table{"postgresql://h/db", "t", "", "", true};
  CHECK_THROWS_WITH(pushdown_summary_sql(table, options),
                    Catch::StartsWith("--date-format %Y%m%d is applied by clvkit"));
  CHECK_NOTHROW(raw_rows_sql(table, options));  // the streamed rows go through DateParser
}
