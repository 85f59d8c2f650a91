#include "clvkit/io/postgresql.hpp"

#include <exception>
#include <pqxx/pqxx>

#include "clvkit/error.hpp"
#include "clvkit/io/database_url.hpp"

namespace clvkit {
namespace {

// libpq reads a URI's query parameters as connection keywords, so a password given apart is
// added as one, percent-encoded.
std::string with_password(const std::string& url, const std::string& password) {
  if (password.empty()) return url;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : password) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= '0' && byte <= '9') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= 'a' && byte <= 'z') || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 15];
    }
  }
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "password=" + encoded;
}

// The first line of libpq's or the server's message, without its "ERROR:  " prefix (the rest
// quotes the generated SQL at length).
std::string first_line(const char* what) {
  std::string message = what;
  message = message.substr(0, message.find('\n'));
  if (message.starts_with("ERROR:  ")) message.erase(0, 8);
  if (message.empty()) message = "connection failed";
  return message;
}

}  // namespace

struct PostgresQuery::State {
  std::string source;
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<pqxx::read_transaction> transaction;
  std::unique_ptr<pqxx::icursorstream> cursor;
  pqxx::result batch;
  pqxx::result::size_type next_row = 0;
  std::size_t columns = 0;
  std::size_t bytes = 0;
  bool done = false;

  [[noreturn]] void fail(const std::exception& error) const {
    std::string message = first_line(error.what());
    // A server that went away mid-read surfaces as whatever libpqxx tried next ("Could not
    // obtain client encoding: not connected"): say what happened first.
    if (connection && !connection->is_open()) {
      message = "lost the connection to the server (" + message + ")";
    }
    throw IoError(source + ": " + message);
  }

  void fetch() {
    *cursor >> batch;
    next_row = 0;
    if (batch.empty()) done = true;
    columns = static_cast<std::size_t>(batch.columns());
  }
};

PostgresQuery::PostgresQuery(const DatabaseConnection& connect, const std::string& sql,
                             std::size_t batch_rows)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.source = redact_database_url(connect.url);
  try {
    s.connection = std::make_unique<pqxx::connection>(with_password(connect.url, connect.password));
    s.transaction = std::make_unique<pqxx::read_transaction>(*s.connection);
    s.transaction->exec("SET DateStyle TO ISO, YMD");
    s.transaction->exec("SET extra_float_digits TO 1");
    // The whole result is read: plan for all of it, not for its first rows (the default
    // fraction 0.1 picks nested loops that are quadratic in the customers).
    s.transaction->exec("SET cursor_tuple_fraction TO 1.0");
    s.cursor = std::make_unique<pqxx::icursorstream>(
        *s.transaction, sql, "clvkit",
        static_cast<pqxx::icursorstream::difference_type>(batch_rows == 0 ? 1 : batch_rows));
    s.fetch();
  } catch (const pqxx::failure& error) {
    s.fail(error);
  } catch (const std::exception& error) {
    s.fail(error);
  }
}

PostgresQuery::~PostgresQuery() {
  // Closing a cursor or a transaction on a connection that died may throw: the error that
  // ended the read has been reported already.
  try {
    state_->cursor.reset();
  } catch (...) {
  }
  try {
    state_->transaction.reset();
  } catch (...) {
  }
}

bool PostgresQuery::next(std::vector<std::optional<std::string_view>>& values) {
  State& s = *state_;
  if (s.done) return false;
  if (s.next_row == s.batch.size()) {
    try {
      s.fetch();
    } catch (const std::exception& error) {
      s.fail(error);
    }
    if (s.done) return false;
  }
  const pqxx::row row = s.batch[s.next_row++];
  values.resize(s.columns);
  for (std::size_t i = 0; i < s.columns; ++i) {
    const pqxx::field field = row[static_cast<pqxx::row::size_type>(i)];
    if (field.is_null()) {
      values[i].reset();
    } else {
      values[i] = std::string_view(field.c_str(), field.size());
      s.bytes += field.size();
    }
  }
  return true;
}

void execute_postgres(const DatabaseConnection& connect,
                      const std::vector<std::string>& statements) {
  const std::string source = redact_database_url(connect.url);
  std::size_t done = 0;
  std::unique_ptr<pqxx::connection> connection;
  try {
    connection = std::make_unique<pqxx::connection>(with_password(connect.url, connect.password));
    pqxx::work transaction(*connection);
    for (const std::string& statement : statements) {
      transaction.exec(statement);
      ++done;
    }
    transaction.commit();
  } catch (const std::exception& error) {
    std::string message = first_line(error.what());
    if (connection && !connection->is_open()) {
      message = "lost the connection to the server (" + message + ")";
    }
    if (done < statements.size() && connection) {
      message = "statement " + std::to_string(done + 1) + " of " +
                std::to_string(statements.size()) + ": " + message;
    }
    throw IoError(source + ": " + message);
  }
}

std::size_t PostgresQuery::columns() const noexcept { return state_->columns; }
std::size_t PostgresQuery::bytes_received() const noexcept { return state_->bytes; }
const std::string& PostgresQuery::source() const noexcept { return state_->source; }

}  // namespace clvkit
