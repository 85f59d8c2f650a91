#include "clvkit/io/clickhouse.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "clvkit/error.hpp"
#include "clvkit/io/database_url.hpp"

namespace clvkit {
namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const std::string hex(text.substr(i + 1, 2));
      char* end = nullptr;
      const long value = std::strtol(hex.c_str(), &end, 16);
      if (hex.size() == 2 && end == hex.c_str() + 2) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// The parts of "clickhouse://[user[:password]@]host[:port][/database][?...]".
struct Endpoint {
  std::string user = "default";
  std::string password;
  std::string host_port;
  std::string database = "default";
};

Endpoint parse_endpoint(std::string_view url, const std::string& source) {
  Endpoint out;
  std::string_view rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    out.database = percent_decode(rest.substr(slash + 1));
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    const std::size_t colon = user_info.find(':');
    out.user = percent_decode(user_info.substr(0, colon));
    if (colon != std::string_view::npos) out.password = percent_decode(user_info.substr(colon + 1));
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) throw UsageError(source + ": the URL names no host");
  out.host_port = std::string(authority);
  if (authority.back() == ']' || authority.find(':') == std::string_view::npos) {
    out.host_port += ":8123";
  }
  return out;
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

// The first line of a server's or curl's message, without ClickHouse's ", e.what() = ..." tail.
std::string first_line(std::string message) {
  message = message.substr(0, message.find('\n'));
  message = message.substr(0, message.find(", e.what() = "));
  while (!message.empty() && (message.back() == ' ' || message.back() == '\r')) {
    message.pop_back();
  }
  return message.empty() ? std::string("no answer") : message;
}

// Undoes TabSeparated's escapes (\t \n \\ and the rest) of `field` into `out`.
void unescape(std::string_view field, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    switch (c) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case '0':
        out += '\0';
        break;
      default:
        out += c;
        break;  // \\ \' and any other escaped character
    }
  }
}

// POSTs `statement` to the server of `connect` (`source` is its URL without the password) and
// returns the answer's body. Throws IoError "<source>: <message>" for a failed request, a
// server error and an answer cut short.
std::string post_statement(const DatabaseConnection& connect, const std::string& source,
                           const std::string& statement) {
  const Endpoint endpoint = parse_endpoint(connect.url, source);
  const std::string password = connect.password.empty() ? endpoint.password : connect.password;
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  const std::unique_ptr<CURL, void (*)(CURL*)> curl(initialised ? curl_easy_init() : nullptr,
                                                    curl_easy_cleanup);
  if (!curl) throw IoError(source + ": cannot start an HTTP client (libcurl)");
  char* database = curl_easy_escape(curl.get(), endpoint.database.c_str(),
                                    static_cast<int>(endpoint.database.size()));
  const std::string address =
      "http://" + endpoint.host_port + "/?database=" + database + "&wait_end_of_query=1";
  curl_free(database);
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, address.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, statement.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(statement.size()));
  curl_easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(handle, CURLOPT_USERNAME, endpoint.user.c_str());
  curl_easy_setopt(handle, CURLOPT_PASSWORD, password.c_str());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 30L);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    std::string message = first_line(error[0] != '\0' ? error : curl_easy_strerror(code));
    if (code == CURLE_GOT_NOTHING || code == CURLE_RECV_ERROR || code == CURLE_PARTIAL_FILE) {
      message = "lost the connection to the server (" + message + ")";
    }
    throw IoError(source + ": " + message);
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    throw IoError(source + ": " +
                  first_line(body.empty() ? "HTTP status " + std::to_string(status) : body));
  }
  if (!body.empty() && body.back() != '\n') {
    throw IoError(source + ": the answer was cut short");
  }
  return body;
}

}  // namespace

ClickHouseQuery::ClickHouseQuery(const DatabaseConnection& connect, const std::string& sql)
    : source_(redact_database_url(connect.url)),
      body_(post_statement(connect, source_, sql + "\nFORMAT TabSeparated")) {}

void execute_clickhouse(const DatabaseConnection& connect,
                        const std::vector<std::string>& statements) {
  const std::string source = redact_database_url(connect.url);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      post_statement(connect, source, statements[i]);
    } catch (const IoError& error) {
      const std::string what = error.what();
      const std::string prefix = source + ": ";
      throw IoError(prefix + "statement " + std::to_string(i + 1) + " of " +
                    std::to_string(statements.size()) + ": " +
                    (what.starts_with(prefix) ? what.substr(prefix.size()) : what));
    }
  }
}

ClickHouseQuery::~ClickHouseQuery() = default;

bool ClickHouseQuery::next(std::vector<std::optional<std::string_view>>& values) {
  if (position_ >= body_.size()) return false;
  const std::size_t end = body_.find('\n', position_);
  const std::string_view line(body_.data() + position_, end - position_);
  position_ = end + 1;
  values.clear();
  // One string per field that has escapes, all made before any view of them is taken (growing
  // the vector later would move them).
  const auto fields = static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t')) + 1;
  if (unescaped_.size() < fields) unescaped_.resize(fields);
  std::size_t escaped = 0;
  for (std::size_t start = 0;;) {
    const std::size_t tab = line.find('\t', start);
    const std::string_view field =
        line.substr(start, tab == std::string_view::npos ? tab : tab - start);
    if (field == "\\N") {
      values.emplace_back();
    } else if (field.find('\\') == std::string_view::npos) {
      values.emplace_back(field);
    } else {
      unescape(field, unescaped_[escaped]);
      values.emplace_back(unescaped_[escaped++]);
    }
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return true;
}

std::size_t ClickHouseQuery::bytes_received() const noexcept { return body_.size(); }
const std::string& ClickHouseQuery::source() const noexcept { return source_; }

}  // namespace clvkit
