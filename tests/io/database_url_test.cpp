#include "clvkit/io/database_url.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "../cli/cli_runner.hpp"
#include "clvkit/error.hpp"

using clvkit::database_kind;
using clvkit::DatabaseKind;
using clvkit::read_password_file;
using clvkit::redact_database_url;

TEST_CASE("database_kind knows libpq's URI schemes and nothing else", "[database_url]") {
  CHECK(database_kind("postgresql://host/db") == DatabaseKind::postgresql);
  CHECK(database_kind("postgres://host/db") == DatabaseKind::postgresql);
  CHECK(database_kind("postgresql://") == DatabaseKind::postgresql);
  CHECK(database_kind("clickhouse://h:8123/db") == DatabaseKind::clickhouse);
  CHECK_FALSE(database_kind("data/cdnow.csv"));
  CHECK_FALSE(database_kind("-"));
  CHECK_FALSE(database_kind("postgresql:/host"));
  CHECK_FALSE(database_kind("./postgresql://x"));
}

TEST_CASE("redact_database_url removes the password and keeps the rest as written",
          "[database_url]") {
  CHECK(redact_database_url("postgresql://u:secret@h:5432/db") == "postgresql://u@h:5432/db");
  CHECK(redact_database_url("postgresql://u:se%40cr:et@h/db") == "postgresql://u@h/db");
  // A raw '@' in the password: user info ends at the last '@' of the authority.
  CHECK(redact_database_url("postgresql://u:p@ss@h/db") == "postgresql://u@h/db");
  CHECK(redact_database_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(redact_database_url("postgresql://h") == "postgresql://h");
  CHECK(redact_database_url("postgresql://") == "postgresql://");
  CHECK(redact_database_url("postgres://u:x@h/db?sslmode=require&password=x&connect_timeout=5") ==
        "postgres://u@h/db?sslmode=require&connect_timeout=5");
  CHECK(redact_database_url("postgresql://h/db?password=x") == "postgresql://h/db");
  CHECK(redact_database_url("postgresql://u:x@h?password=y") == "postgresql://u@h");
  // '@' after the authority (in the query) is not user info.
  CHECK(redact_database_url("postgresql://h/db?application_name=a@b") ==
        "postgresql://h/db?application_name=a@b");
  CHECK(redact_database_url("clickhouse://analyst:pw@h:8123/db") ==
        "clickhouse://analyst@h:8123/db");
  CHECK(redact_database_url("orders.csv") == "orders.csv");
}

TEST_CASE("read_password_file takes the first line and never shows the password",
          "[database_url][inputcheck]") {
  clvkit::test::TempDir dir;
  clvkit::test::write_text(dir.file("pw"), "Sup3r s3cret&pw\r\nsecond line\n");
  CHECK(read_password_file(dir.file("pw")) == "Sup3r s3cret&pw");
  clvkit::test::write_text(dir.file("empty"), "\nsecret on line 2\n");
  CHECK_THROWS_AS(read_password_file(dir.file("empty")), clvkit::IoError);
  CHECK_THROWS_WITH(read_password_file(dir.file("empty")),
                    !Catch::Contains("secret") && Catch::Contains("no password on its first line"));
  CHECK_THROWS_AS(read_password_file(dir.file("missing")), clvkit::IoError);
}
