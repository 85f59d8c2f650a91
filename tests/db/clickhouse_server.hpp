#pragma once
// A ClickHouse 18.16 server of the tests' own: a minimal configuration in a fresh temporary
// directory, HTTP and native ports free on loopback, started in the background and stopped
// (SIGTERM, then SIGKILL) when the object dies. It runs as the calling user, root included (see
// ../shared/notes/databases.md). A server that cannot start throws: the tests fail, never skip.
//
// Users: `default` (no password) and `analyst` (password kPassword).
//
// A server of a cluster (sharded_servers.hpp) is made with its ports chosen beforehand and the
// cluster's `remote_servers` as extra configuration, since each server must know the others'.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "postgres_server.hpp"

namespace clvkit::test {

/// The loopback ports a ClickHouse server listens on.
struct ClickHousePorts {
  int http = free_loopback_port();
  int tcp = free_loopback_port();
  int interserver = free_loopback_port();
};

class ClickHouseServer {
 public:
  ClickHouseServer() : ClickHouseServer(ClickHousePorts{}, "") {}
  /// A server on `ports`, with `extra_config` (XML elements of <yandex>, e.g. remote_servers)
  /// added to its configuration.
  ClickHouseServer(const ClickHousePorts& ports, const std::string& extra_config)
      : http_port_(ports.http), tcp_port_(ports.tcp), interserver_port_(ports.interserver) {
    if (!std::filesystem::exists("/usr/bin/clickhouse-server") &&
        !std::filesystem::exists("/usr/sbin/clickhouse-server")) {
      throw std::runtime_error(
          "clickhouse test server: no clickhouse-server: install clickhouse-server and "
          "clickhouse-client (tools/setup)");
    }
    const std::string root = dir_.path().string();
    write_text(dir_.file("users.xml"),
               "<?xml version=\"1.0\"?>\n<yandex>\n  <profiles><default></default></profiles>\n"
               "  <users>\n"
               "    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip>"
               "</networks><profile>default</profile><quota>default</quota></default>\n"
               "    <analyst><password>Sup3r s3cret&amp;pw</password><networks><ip>127.0.0.1"
               "</ip></networks><profile>default</profile><quota>default</quota></analyst>\n"
               "  </users>\n  <quotas><default></default></quotas>\n</yandex>\n");
    write_text(
        dir_.file("config.xml"),
        "<?xml version=\"1.0\"?>\n<yandex>\n  <logger><level>warning</level><log>" + root +
            "/server.log</log><errorlog>" + root +
            "/error.log</errorlog></logger>\n"
            "  <listen_host>127.0.0.1</listen_host>\n  <http_port>" +
            std::to_string(http_port_) + "</http_port>\n  <tcp_port>" + std::to_string(tcp_port_) +
            "</tcp_port>\n  <interserver_http_port>" + std::to_string(interserver_port_) +
            "</interserver_http_port>\n  <interserver_http_host>127.0.0.1"
            "</interserver_http_host>\n  <path>" +
            root + "/data/</path>\n  <tmp_path>" + root + "/tmp/</tmp_path>\n  <user_files_path>" +
            root + "/user_files/</user_files_path>\n  <users_config>" + root +
            "/users.xml</users_config>\n  <default_profile>default</default_profile>\n"
            "  <default_database>default</default_database>\n"
            "  <mark_cache_size>536870912</mark_cache_size>\n" +
            extra_config + "</yandex>\n");
    const std::string pid_file = dir_.file("server.pid");
    run_or_throw("(clickhouse-server --config-file=\"" + dir_.file("config.xml") + "\" >\"" +
                     dir_.file("stdout.log") + "\" 2>&1 & echo $! >\"" + pid_file + "\")",
                 "start", log());
    try {
      pid_ = std::stoi(read_text(pid_file));
      wait_until_ready();
    } catch (...) {
      stop();  // the destructor of an object whose constructor throws never runs
      throw;
    }
  }
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;
  ~ClickHouseServer() { stop(); }

  /// Ends the server: SIGTERM, and SIGKILL if it is still there after 10 s.
  void stop() noexcept { end(SIGTERM); }
  /// Kills the server at once (SIGKILL), as if it died.
  void kill() noexcept { end(SIGKILL); }

  /// "clickhouse://USER@127.0.0.1:PORT/default".
  std::string url(const std::string& user = "") const {
    return "clickhouse://" + (user.empty() ? "" : user + "@") +
           "127.0.0.1:" + std::to_string(http_port_) + "/default";
  }
  int http_port() const noexcept { return http_port_; }
  /// Runs statements separated by ';' with clickhouse-client; throws with its message on failure.
  void sql(const std::string& statements) const {
    const std::string file = dir_.file("statements.sql");
    write_text(file, statements);
    run_or_throw(client() + " --multiquery <\"" + file + "\"", "SQL", log());
  }
  /// The output of one statement (TabSeparated); throws with the client's message on failure.
  std::string query(const std::string& statement) const {
    const std::string file = dir_.file("query.sql");
    const std::string out = dir_.file("query.out");
    write_text(file, statement);
    run_or_throw("(" + client() + " <\"" + file + "\" >\"" + out + "\")", "query", log());
    return read_text(out);
  }
  int tcp_port() const noexcept { return tcp_port_; }
  /// Creates `table` with `columns` (engine Log) and loads the CSV file with its header into it.
  void load_csv(const std::string& table, const std::string& columns,
                const std::string& csv_path) const {
    sql("CREATE TABLE " + table + " (" + columns + ") ENGINE = Log");
    insert_csv(table, csv_path);
  }
  /// Inserts the CSV file with its header into the existing `table`, with clickhouse-client's
  /// `settings` ("--name=value ...").
  void insert_csv(const std::string& table, const std::string& csv_path,
                  const std::string& settings = "") const {
    run_or_throw(client() + " " + settings + " --query 'INSERT INTO " + table +
                     " FORMAT CSVWithNames' <\"" + csv_path + "\"",
                 "loading " + csv_path, log());
  }

 private:
  // Waits until the native port answers (~0.2 s; gives it 30); throws if the server ends first.
  void wait_until_ready() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::system((client() + " --query 'SELECT 1' >/dev/null 2>&1").c_str()) != 0) {
      if (std::chrono::steady_clock::now() > deadline || !running()) {
        throw std::runtime_error("clickhouse test server did not start:\n" +
                                 read_text(dir_.file("stdout.log")) +
                                 read_text(dir_.file("error.log")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::string client() const { return "clickhouse-client --port " + std::to_string(tcp_port_); }
  std::string log() const { return dir_.file("setup.log"); }
  // Whether the server process still runs (a zombie waiting for its reaper does not).
  bool running() const {
    if (::kill(pid_, 0) != 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
    const std::size_t state = stat.rfind(") ");
    return state == std::string::npos || stat[state + 2] != 'Z';
  }
  void end(int signal) noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    pid_ = 0;
  }

  TempDir dir_;
  int http_port_;
  int tcp_port_;
  int interserver_port_;
  pid_t pid_ = 0;
};

}  // namespace clvkit::test
