#pragma once
// A PostgreSQL 15 server of the tests' own: initdb in a fresh temporary directory, started on a
// free loopback port, stopped (and the directory removed) when the object dies. As root (CI), the
// server runs as the `postgres` user, since initdb refuses root (see ../shared/notes/databases.md).
// A server that cannot be set up throws: the db tests fail loudly, never skip.
//
// Roles: `postgres` (superuser, trusted from 127.0.0.1, for loading data) and `analyst` (password
// kPassword, scram-sha-256: the credential tests), who may read every table of schema public.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "../cli/cli_runner.hpp"

namespace clvkit::test {

inline constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
/// The analyst's password: characters that a URL must encode, and that no message may show.
inline constexpr const char* kPassword = "Sup3r s3cret&pw";

/// A TCP port on 127.0.0.1 that was free a moment ago.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("postgres test server: no free loopback port");
  }
  const int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

/// Runs a shell command; throws with `what` and the command's output when it fails.
inline void run_or_throw(const std::string& command, const std::string& what,
                         const std::string& log) {
  if (std::system((command + " >>\"" + log + "\" 2>&1").c_str()) != 0) {
    throw std::runtime_error("postgres test server: " + what + " failed:\n" + read_text(log));
  }
}

class PostgresServer {
 public:
  PostgresServer() : port_(free_loopback_port()) {
    if (!std::filesystem::exists(std::string(kPgBin) + "/initdb")) {
      throw std::runtime_error(std::string("postgres test server: no ") + kPgBin +
                               "/initdb: install postgresql-15 (tools/setup)");
    }
    const std::string data = dir_.file("data");
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
    as_server_ = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    run_or_throw(as_server_ + kPgBin + "/initdb -D \"" + data +
                     "\" -U postgres -A trust --no-sync -E UTF8 --locale=C",
                 "initdb", log());
    write_text(data + "/pg_hba.conf",
               "local all all trust\n"
               "host all postgres 127.0.0.1/32 trust\n"
               "host all all 127.0.0.1/32 scram-sha-256\n");
    run_or_throw(as_server_ + kPgBin + "/pg_ctl -D \"" + data + "\" -l \"" +
                     dir_.file("server.log") + "\" -w -t 30 -o \"-p " + std::to_string(port_) +
                     " -k " + dir_.path().string() +
                     " -c listen_addresses=127.0.0.1 -c fsync=off\" start",
                 "start", log());
    started_ = true;
    try {
      sql("CREATE ROLE analyst LOGIN PASSWORD '" + std::string(kPassword) +
          "'; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analyst;");
    } catch (...) {
      stop();  // the destructor of an object whose constructor throws never runs
      throw;
    }
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer() { stop(); }

  /// Stops the server at once (-m immediate: as if it died), waiting for it to be gone.
  void stop() noexcept {
    if (!started_) return;
    started_ = false;
    std::system((as_server_ + kPgBin + "/pg_ctl -D \"" + dir_.file("data") +
                 "\" -m immediate -w stop >/dev/null 2>&1")
                    .c_str());
  }

  int port() const noexcept { return port_; }
  /// "postgresql://USER@127.0.0.1:PORT/postgres".
  std::string url(const std::string& user = "postgres") const {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }
  /// Runs SQL statements as postgres; throws with psql's message when one fails.
  void sql(const std::string& statements) const {
    const std::string file = dir_.file("statements.sql");
    write_text(file, statements);
    run_or_throw("psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                     " -U postgres -d postgres -f \"" + file + "\"",
                 "SQL", log());
  }
  /// The output of one statement as postgres (psql -At: unaligned, no headers); throws as sql
  /// does.
  std::string query(const std::string& statement) const {
    const std::string file = dir_.file("query.sql");
    const std::string out = dir_.file("query.out");
    write_text(file, statement);
    run_or_throw("psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                     " -U postgres -d postgres -f \"" + file + "\" -o \"" + out + "\"",
                 "query", log());
    return read_text(out);
  }
  /// Creates `table` with `columns` (SQL column definitions) and loads the CSV file (with a
  /// header line) into it; empty fields load as NULL.
  void load_csv(const std::string& table, const std::string& columns,
                const std::string& csv_path) const {
    sql("CREATE TABLE " + table + " (" + columns + ");\n\\copy " + table + " FROM '" + csv_path +
        "' WITH (FORMAT csv, HEADER true)\n");
  }

 private:
  std::string log() const { return dir_.file("setup.log"); }

  TempDir dir_;
  int port_;
  std::string as_server_;
  bool started_ = false;
};

}  // namespace clvkit::test
