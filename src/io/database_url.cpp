#include "clvkit/io/database_url.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "clvkit/error.hpp"

namespace clvkit {

std::optional<DatabaseKind> database_kind(std::string_view location) noexcept {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) {
    return DatabaseKind::postgresql;
  }
  if (location.starts_with("clickhouse://")) return DatabaseKind::clickhouse;
  return std::nullopt;
}

std::string redact_database_url(std::string_view url) {
  if (!database_kind(url)) return std::string(url);
  const std::size_t authority = url.find("://") + 3;
  // The authority ends at the first '/', '?' or '#'; user info is what precedes its last '@'.
  std::size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string out(url.substr(0, authority));
  const std::string_view host_part = url.substr(authority, authority_end - authority);
  const std::size_t at = host_part.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view user_info = host_part.substr(0, at);
    out += user_info.substr(0, user_info.find(':'));
    out += host_part.substr(at);
  } else {
    out += host_part;
  }
  // The path, then the query's parameters but password=.
  const std::size_t query = url.find('?', authority_end);
  out += url.substr(authority_end,
                    (query == std::string_view::npos ? url.size() : query) - authority_end);
  if (query == std::string_view::npos) return out;
  std::string_view rest = url.substr(query + 1);
  std::string kept;
  while (!rest.empty()) {
    const std::size_t end = rest.find('&');
    const std::string_view parameter = rest.substr(0, end);
    if (!parameter.starts_with("password=") && !parameter.empty()) {
      if (!kept.empty()) kept += '&';
      kept += parameter;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  if (!kept.empty()) out += "?" + kept;
  return out;
}

std::string read_password_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw IoError("--password-file: cannot open '" + path + "': " + std::strerror(errno));
  }
  std::string password;
  std::getline(file, password);
  if (file.bad()) throw IoError("--password-file: cannot read '" + path + "'");
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    throw IoError("--password-file: '" + path + "' has no password on its first line");
  }
  return password;
}

}  // namespace clvkit
