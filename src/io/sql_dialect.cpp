#include "clvkit/io/sql_dialect.hpp"

#include <cstdio>

#include "clvkit/io/database_url.hpp"

namespace clvkit {

std::string SqlDialect::quote(std::string_view name) const {
  const char mark = clickhouse ? '`' : '"';
  std::string out(1, mark);
  for (const char c : name) {
    if (c == mark) out += clickhouse ? '\\' : mark;
    if (clickhouse && c == '\\') out += '\\';
    out += c;
  }
  return out + mark;
}

std::string SqlDialect::table(std::string_view name) const {
  std::string out;
  for (;;) {
    const std::size_t dot = name.find('.');
    out += quote(name.substr(0, dot));
    if (dot == std::string_view::npos) return out;
    out += '.';
    name.remove_prefix(dot + 1);
  }
}

std::string SqlDialect::string_literal(std::string_view text) const {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'')
      out += clickhouse ? "\\'" : "''";
    else if (clickhouse && c == '\\')
      out += "\\\\";
    else
      out += c;
  }
  return out + "'";
}

std::string round_trip_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string SqlDialect::number(double value) const {
  const std::string text = round_trip_text(value);
  std::string out;
  if (clickhouse) {
    out += value < 0 ? "(" : "";
    out += text;
    out += value < 0 ? ")" : "";
  } else {
    out += "CAST('";
    out += text;
    out += "' AS double precision)";
  }
  return out;
}

std::string SqlDialect::real(const std::string& expression) const {
  return clickhouse ? "toFloat64(" + expression + ")"
                    : "CAST(" + expression + " AS double precision)";
}

std::string SqlDialect::div(const std::string& a, const std::string& b) const {
  return clickhouse ? "intDiv(" + a + ", " + b + ")" : "((" + a + ") / " + b + ")";
}

SqlDialect sql_dialect(std::string_view url) {
  return SqlDialect{database_kind(url) == DatabaseKind::clickhouse};
}

}  // namespace clvkit
