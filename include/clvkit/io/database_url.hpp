#pragma once
// Database locations: the URL forms clvkit reads transactions from, and the same URL with its
// password removed, which is all that messages and metadata ever show.

#include <optional>
#include <string>
#include <string_view>

namespace clvkit {

/// The engines a database URL can name.
enum class DatabaseKind { postgresql, clickhouse };

/// The engine named by the URL's scheme: "postgresql://" or "postgres://" (libpq's URI forms),
/// "clickhouse://" (its HTTP interface); nothing for anything else (a file path, "-").
std::optional<DatabaseKind> database_kind(std::string_view location) noexcept;

/// `url` without its password: the ":secret" of "scheme://user:secret@host/..." and every
/// "password=..." parameter of the query string are removed; the rest is kept as written. A
/// location that is not a database URL is returned unchanged. Messages and metadata use only
/// this form.
std::string redact_database_url(std::string_view url);

/// The password in the first line of `path` (its line end removed), for `--password-file`.
/// Throws IoError naming the file (never its content) when it cannot be read or is empty.
std::string read_password_file(const std::string& path);

}  // namespace clvkit
