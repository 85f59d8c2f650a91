#pragma once
// What differs between the SQL of the engines clvkit reads from and writes to (PostgreSQL,
// ClickHouse), for the statements it generates: quoting, literals, integer division.

#include <string>
#include <string_view>

namespace clvkit {

struct SqlDialect {
  bool clickhouse = false;

  /// An identifier as written, quoted: "a""b" in PostgreSQL, `a\`b` in ClickHouse.
  std::string quote(std::string_view name) const;
  /// A table name "name" or "schema.name" ("database.name" in ClickHouse), each part quoted.
  std::string table(std::string_view name) const;
  /// A string literal: 'it''s' in PostgreSQL, 'it\'s' in ClickHouse (backslashes escaped too).
  std::string string_literal(std::string_view text) const;
  /// A finite double as a literal that reads back as the same double: a cast of its
  /// round-trip text in PostgreSQL (a bare 0.1 would be numeric), the bare text in ClickHouse
  /// (its parser reads literals with strtod).
  std::string number(double value) const;
  /// `expression` as a double: toFloat64(e) in ClickHouse, CAST(e AS double precision).
  std::string real(const std::string& expression) const;
  /// Integer division (ClickHouse's '/' divides as floating point).
  std::string div(const std::string& a, const std::string& b) const;
};

/// A finite double as text that reads back as the same double (%.17g: "0.20000000000000001"),
/// as INSERT ... VALUES writes it into a double column.
std::string round_trip_text(double value);

/// The dialect of a database URL: ClickHouse's for "clickhouse://...", else PostgreSQL's.
SqlDialect sql_dialect(std::string_view url);

}  // namespace clvkit
