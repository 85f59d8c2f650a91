#pragma once
// A table hash-sharded over two servers of each engine, all on loopback, started by the test and
// stopped when the object dies (the distributed test of issue 15; the README's "Distributed
// recipe" shows the same DDL). A server that is missing or cannot start throws: the tests fail,
// never skip.
//
// What a test needs from either fixture: url() (the coordinator, where clvkit connects),
// load_csv(TABLE, COLUMNS, CSV) (TABLE is then the sharded table, read as `--table TABLE`),
// sql(...) and query(...) on the coordinator, and shard(i) for what each server holds:
//
//   ShardedClickHouse cluster;
//   cluster.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
//   run_cli("run " + cluster.url() + " --table tx ...", dir);
//
// ClickHouse: two servers, each shard of cluster kCluster (`remote_servers`, one shard per
// server, both in both configurations). On each, TABLE_local (MergeTree ORDER BY (customer_id,
// date)) holds its shard's rows, and TABLE = Distributed(kCluster, default, TABLE_local,
// cityHash64(customer_id)) reads both; rows are inserted through TABLE on the coordinator with
// insert_distributed_sync=1, so that they are on the shards when the insert returns.
//
// PostgreSQL: two servers. On each, TABLE_local (a plain table) holds its shard's rows. On the
// coordinator (shard 0), postgres_fdw with a foreign server per shard (shard_0 is the
// coordinator itself over loopback, shard_1 the other server; async_capable, so that the shards
// are scanned concurrently) and TABLE PARTITION BY HASH (customer_id), whose two partitions
// TABLE_0 and TABLE_1 are foreign tables on TABLE_local of shard 0 and 1. The database has
// enable_partitionwise_aggregate on (ALTER DATABASE ... SET), so that an aggregate grouped by
// customer_id runs on each shard. Rows are inserted through TABLE (postgres_fdw routes each to
// its partition's server).

#include <array>
#include <memory>
#include <string>

#include "clickhouse_server.hpp"
#include "postgres_server.hpp"

namespace clvkit::test {

class ShardedClickHouse {
 public:
  /// The cluster's name in remote_servers.
  static constexpr const char* kCluster = "clvkit_shards";

  ShardedClickHouse() {
    const std::array<ClickHousePorts, 2> ports{};
    std::string cluster = "  <remote_servers><" + std::string(kCluster) + ">\n";
    for (const ClickHousePorts& p : ports) {
      cluster += "    <shard><replica><host>127.0.0.1</host><port>" + std::to_string(p.tcp) +
                 "</port></replica></shard>\n";
    }
    cluster += "  </" + std::string(kCluster) + "></remote_servers>\n";
    for (std::size_t i = 0; i < ports.size(); ++i) {
      shards_[i] = std::make_unique<ClickHouseServer>(ports[i], cluster);
    }
  }

  /// The coordinator's URL (shard 0), as clvkit takes it.
  std::string url() const { return shards_[0]->url(); }
  /// Server i (0: the coordinator).
  const ClickHouseServer& shard(int i) const { return *shards_.at(i); }
  /// Statements on the coordinator (clickhouse-client --multiquery).
  void sql(const std::string& statements) const { shards_[0]->sql(statements); }
  /// One statement's TabSeparated output, on the coordinator.
  std::string query(const std::string& statement) const { return shards_[0]->query(statement); }

  /// The DDL that makes `table` (sharded by cityHash64(customer_id)) with `columns` on a server.
  static std::string create_table_sql(const std::string& table, const std::string& columns) {
    return "CREATE TABLE " + table + "_local (" + columns +
           ") ENGINE = MergeTree ORDER BY (customer_id, date);\n"
           "CREATE TABLE " +
           table + " AS " + table + "_local ENGINE = Distributed(" + kCluster + ", default, " +
           table + "_local, cityHash64(customer_id));\n";
  }
  /// Creates `table` on both servers and inserts the CSV file (with its header) through the
  /// coordinator's Distributed table.
  void load_csv(const std::string& table, const std::string& columns,
                const std::string& csv_path) const {
    for (const auto& shard : shards_) shard->sql(create_table_sql(table, columns));
    shards_[0]->insert_csv(table, csv_path, "--insert_distributed_sync=1");
  }

 private:
  std::array<std::unique_ptr<ClickHouseServer>, 2> shards_;
};

class ShardedPostgres {
 public:
  ShardedPostgres() {
    std::string setup = "CREATE EXTENSION postgres_fdw;\n";
    for (int i = 0; i < 2; ++i) {
      const std::string name = "shard_" + std::to_string(i);
      setup += "CREATE SERVER " + name +
               " FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '" +
               std::to_string(shards_[i].port()) +
               "', dbname 'postgres', async_capable 'true', fetch_size '10000', "
               "batch_size '1000');\n"
               "CREATE USER MAPPING FOR PUBLIC SERVER " +
               name + " OPTIONS (user 'postgres');\n";
    }
    setup += "ALTER DATABASE postgres SET enable_partitionwise_aggregate = on;\n";
    shards_[0].sql(setup);
  }

  /// The coordinator's URL (shard 0), as clvkit takes it.
  std::string url() const { return shards_[0].url(); }
  /// Server i (0: the coordinator).
  const PostgresServer& shard(int i) const { return shards_.at(i); }
  /// Statements on the coordinator, as postgres.
  void sql(const std::string& statements) const { shards_[0].sql(statements); }
  /// One statement's output on the coordinator (psql -At).
  std::string query(const std::string& statement) const { return shards_[0].query(statement); }

  /// The DDL on the coordinator that makes `table` with `columns`, partitioned by hash of
  /// customer_id over TABLE_local of the two shards (which must exist).
  static std::string create_table_sql(const std::string& table, const std::string& columns) {
    std::string out =
        "CREATE TABLE " + table + " (" + columns + ") PARTITION BY HASH (customer_id);\n";
    for (int i = 0; i < 2; ++i) {
      const std::string n = std::to_string(i);
      out += "CREATE FOREIGN TABLE " + table + "_" + n + " PARTITION OF " + table +
             " FOR VALUES WITH (MODULUS 2, REMAINDER " + n + ") SERVER shard_" + n +
             " OPTIONS (table_name '" + table + "_local');\n";
    }
    return out;
  }
  /// Creates TABLE_local on both shards and `table` on the coordinator, and inserts the CSV file
  /// (with its header; empty fields as NULL) through `table`: copied into a temporary table,
  /// then INSERT ... SELECT, which postgres_fdw sends to the shards in batches (COPY into a
  /// foreign partition would send a row at a time in PostgreSQL 15).
  void load_csv(const std::string& table, const std::string& columns,
                const std::string& csv_path) const {
    for (const PostgresServer& shard : shards_) {
      shard.sql("CREATE TABLE " + table + "_local (" + columns + ");\n");
    }
    sql(create_table_sql(table, columns) + "CREATE TEMPORARY TABLE clvkit_load (" + columns +
        ");\n\\copy clvkit_load FROM '" + csv_path +
        "' WITH (FORMAT csv, HEADER true)\n"
        "INSERT INTO " +
        table + " SELECT * FROM clvkit_load;\nANALYZE " + table + ";\n");
  }

 private:
  std::array<PostgresServer, 2> shards_;
};

}  // namespace clvkit::test
