// The commands on a postgresql:// URL as users run them: the same bytes as on the CSV (but for
// the source named in the metadata), credentials from every place libpq and clvkit take them and
// never shown, and every database failure a clear message with exit code 4 and no output.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "database_checks.hpp"
#include "postgres_server.hpp"

namespace clvkit::test {
namespace {

const std::string kCdnowPath = "data/cdnow.csv";  // ctest runs in the repository root

// The files a failed command left in `dir` besides the captured stdout and stderr.
std::vector<std::string> leftovers(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name != "cli.stdout" && name != "cli.stderr") names.push_back(name);
  }
  return names;
}

/// Sets an environment variable for the life of the object (the CLI inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_CASE("clvkit run on PostgreSQL writes the CSV run's records byte for byte on 1M rows",
          "[db][cli][consistency]") {
  PostgresServer server;
  TempDir dir;
  const std::string log = simulated_million_rows(dir);
  server.load_csv("tx", "customer_id bigint, date date, amount numeric(12,2)", log);
  REQUIRE(read_text(log).size() > 20'000'000);
  require_same_records(dir, log, server.url(), "tx", " --no-model");
}

TEST_CASE("Every command reading a log gives the CSV's output from PostgreSQL on CDNOW",
          "[db][cli][consistency]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)",
                  std::string(CLVKIT_TEST_SOURCE_DIR) + "/" + kCdnowPath);
  TempDir dir;
  const std::string url = server.url();
  // The saved model names the log it was fitted on: a copy under another name, so that replacing
  // the CSV's name by the URL below leaves it alone.
  const std::string model = dir.file("model.json");
  const std::string train = dir.file("train.csv");
  std::filesystem::copy_file(kCdnowPath, train);
  REQUIRE(run_cli("fit " + train + " -q -o " + model, dir).exit_code == 0);
  // Each command with its options; OUT is replaced by an output path, LOG by the source.
  const std::vector<std::string> commands = {
      "run LOG --format json -o OUT -q",
      "segments LOG --format json -o OUT -q",
      "fit LOG -o OUT -q",
      "predict LOG --model " + model + " --format json -o OUT",
      "validate LOG --calibration-end 1997-09-30 --format json -o OUT -q",
      "compare LOG --calibration-end 1997-09-30 --format json -o OUT -q",
      "report LOG -o OUT -q",
  };
  for (const std::string& command : commands) {
    CAPTURE(command);
    const std::string from_csv = dir.file("csv.out");
    REQUIRE(run_cli(replace_all(replace_all(command, "LOG", kCdnowPath), "OUT", from_csv), dir)
                .exit_code == 0);
    const std::string expected = replace_all(read_text(from_csv), kCdnowPath, url);
    for (const std::string mode : {"", " --no-pushdown"}) {
      CAPTURE(mode);
      const std::string from_db = dir.file("db.out");
      const CliResult result = run_cli(
          replace_all(replace_all(command, "LOG", url + " --table tx" + mode), "OUT", from_db),
          dir);
      CAPTURE(result.err);
      REQUIRE(result.exit_code == 0);
      REQUIRE(read_text(from_db) == expected);
    }
  }
}

TEST_CASE(
    "PostgreSQL credentials come from the URL, libpq's environment or --password-file "
    "and are never shown",
    "[db][cli][credentials]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)",
                  std::string(CLVKIT_TEST_SOURCE_DIR) + "/" + kCdnowPath);
  server.sql("GRANT SELECT ON tx TO analyst;");
  TempDir dir;
  const std::string encoded = "Sup3r%20s3cret%26pw";  // kPassword in a URL
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  const std::string plain_url = "postgresql://analyst@" + host + "/postgres";
  const std::string out = dir.file("records.csv");
  const std::string args = " --table tx --no-model --format csv -q -o " + out;
  // Nothing the command writes may hold the password, in either spelling.
  const auto require_secret_kept = [&](const CliResult& result) {
    for (const std::string& text :
         {result.out, result.err, read_text(out), read_text(out + ".meta.json")}) {
      REQUIRE(text.find(kPassword) == std::string::npos);
      REQUIRE(text.find(encoded) == std::string::npos);
      REQUIRE(text.find("s3cret") == std::string::npos);
    }
  };
  // Reads with `url` and `extra` options; the metadata names `source` (default: plain_url).
  const auto require_read = [&](const std::string& url, const std::string& extra,
                                const std::string& source = "") {
    std::filesystem::remove(out);
    const CliResult result = run_cli("run '" + url + "'" + args + extra, dir);
    CAPTURE(url, extra, result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE_THAT(read_text(out + ".meta.json"),
                 Catch::Contains("\"source\": \"" + (source.empty() ? plain_url : source) + "\""));
    require_secret_kept(result);
  };

  SECTION("in the URL, and as a password= parameter") {
    require_read("postgresql://analyst:" + encoded + "@" + host + "/postgres", "");
    require_read(plain_url + "?password=" + encoded, "");
  }
  SECTION("from --password-file") {
    write_text(dir.file("password"), std::string(kPassword) + "\n");
    require_read(plain_url, " --password-file " + dir.file("password"));
  }
  SECTION("from PGPASSWORD") {
    ScopedEnv password("PGPASSWORD", kPassword);
    require_read(plain_url, "");
  }
  SECTION("from a .pgpass file (PGPASSFILE)") {
    const std::string pgpass = dir.file("pgpass");
    write_text(pgpass, "127.0.0.1:" + std::to_string(server.port()) +
                           ":postgres:analyst:" + kPassword + "\n");
    std::filesystem::permissions(
        pgpass, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    ScopedEnv file("PGPASSFILE", pgpass);
    require_read(plain_url, "");
  }
  SECTION("from a service (PGSERVICEFILE, PGSERVICE)") {
    const std::string services = dir.file("pg_service.conf");
    write_text(services, "[clvkit]\nhost=127.0.0.1\nport=" + std::to_string(server.port()) +
                             "\nuser=analyst\ndbname=postgres\npassword=" + kPassword + "\n");
    ScopedEnv file("PGSERVICEFILE", services);
    ScopedEnv service("PGSERVICE", "clvkit");
    require_read("postgresql://", "", "postgresql://");
  }
  SECTION("a wrong or missing password: exit 4, the URL without it, and no output") {
    const CliResult wrong =
        run_cli("run 'postgresql://analyst:s3cretWrong@" + host + "/postgres'" + args, dir);
    REQUIRE(wrong.exit_code == 4);
    REQUIRE_THAT(wrong.err, Catch::StartsWith("clvkit: error: " + plain_url + ": ") &&
                                Catch::Contains("password authentication failed"));
    require_secret_kept(wrong);
    const CliResult missing = run_cli("run " + plain_url + args, dir);
    REQUIRE(missing.exit_code == 4);
    REQUIRE_THAT(missing.err, Catch::StartsWith("clvkit: error: " + plain_url + ": "));
    REQUIRE(leftovers(dir).empty());
  }
}

TEST_CASE("PostgreSQL failures exit 4 with a clear message and leave no output",
          "[db][cli][errors]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)",
                  std::string(CLVKIT_TEST_SOURCE_DIR) + "/" + kCdnowPath);
  // Returns `a`, but first sleeps 20 s on row 30000: long enough to stop the server under it.
  server.sql(
      "CREATE FUNCTION slow_amount(n bigint, a numeric) RETURNS numeric LANGUAGE plpgsql AS "
      "$$ BEGIN IF n = 30000 THEN PERFORM pg_sleep(20); END IF; RETURN a; END $$;");
  TempDir dir;
  const std::string url = server.url();
  const std::string out = " -q -o " + dir.file("records.json");
  const auto require_io_error = [&](const std::string& arguments, const std::string& message) {
    const CliResult result = run_cli(arguments + out, dir);
    CAPTURE(arguments, result.err);
    REQUIRE(result.exit_code == 4);
    REQUIRE_THAT(result.err,
                 Catch::StartsWith("clvkit: error: postgresql://") && Catch::Contains(message));
    REQUIRE(result.out.empty());
    REQUIRE(leftovers(dir).empty());
  };
  const std::string nobody =
      "postgresql://postgres@127.0.0.1:" + std::to_string(free_loopback_port()) + "/postgres";
  require_io_error("run " + nobody + " --table tx", nobody + ": ");
  require_io_error("run " + nobody + " --table tx --no-pushdown", "Connection refused");
  require_io_error("run " + url + " --table nope", url + ": relation \"nope\" does not exist");
  require_io_error("fit " + url + " --table nope --no-pushdown",
                   url + ": relation \"nope\" does not exist");
  require_io_error("run " + url + " --table tx --amount-col price",
                   url + ": column src.price does not exist");
  require_io_error("segments " + url + " --table tx --customer-col id --no-pushdown",
                   url + ": column src.id does not exist");
  require_io_error(
      "run " + url + " --query 'SELECT customer_id, date, amount / 0 AS amount FROM tx'",
      url + ": division by zero");
  require_io_error("run " + url + " --query 'SELEKT 1'", url + ": syntax error at or near");

  SECTION("the server dies while the statement runs (pushdown) or mid-stream (rows)") {
    const std::string slow =
        " --query 'SELECT CAST(g % 1000 AS text) AS customer_id, DATE '\\''1997-01-01'\\'' + "
        "CAST(g % 365 AS int) AS date, slow_amount(g, 1.5) AS amount FROM generate_series(1, "
        "40000) AS g'";
    const std::string mode = GENERATE(std::string(""), std::string(" --no-pushdown"));
    CAPTURE(mode);
    std::thread killer([&server] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2000));
      server.stop();
    });
    const auto start = std::chrono::steady_clock::now();
    const CliResult result = run_cli("run " + url + slow + mode + out, dir);
    killer.join();
    CAPTURE(result.err);
    REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
    REQUIRE(result.exit_code == 4);
    REQUIRE_THAT(result.err, Catch::StartsWith("clvkit: error: " + url +
                                               ": lost the connection to the server"));
    REQUIRE(leftovers(dir).empty());
  }
}

TEST_CASE("Database options are refused where they do not apply", "[db][cli][inputcheck]") {
  TempDir dir;
  const std::string url = "postgresql://postgres@127.0.0.1:1/postgres";
  const auto require_usage = [&](const std::string& arguments, const std::string& message) {
    const CliResult result = run_cli(arguments, dir);
    CAPTURE(arguments, result.err);
    REQUIRE(result.exit_code == 1);
    REQUIRE_THAT(result.err, Catch::Contains(message));
  };
  require_usage("run " + kCdnowPath + " --table tx",
                "--table applies to a database URL (postgresql://..., clickhouse://...), not to "
                "'data/cdnow.csv'");
  require_usage("run " + url, "give the rows as exactly one of --table NAME and --query SQL");
  require_usage("run " + url + " --table tx --query 'SELECT 1'", "exactly one of --table");
  require_usage("run " + url + " --table tx --date-format %Y%m%d",
                "--date-format %Y%m%d is applied by clvkit, not by the database");
  require_usage("migrate " + url + " --table tx --every month", "migrate reads a log file");
  require_usage("fit " + url + " --table tx --summary", "--summary reads a log file");
}

}  // namespace
}  // namespace clvkit::test
