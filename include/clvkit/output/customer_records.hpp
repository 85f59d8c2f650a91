#pragma once
// Presentation of per-customer records: JSON (metadata + customers), NDJSON and CSV.
// Field order is fixed and documented in the README ("Output schema"), so the same input gives
// the same bytes.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

enum class RecordFormat { json, ndjson, csv };

/// Parses "json", "ndjson" or "csv"; throws UsageError otherwise.
RecordFormat parse_record_format(std::string_view text);

/// One output row: pointers into data owned by the caller.
struct CustomerRecord {
  const CustomerSummary* summary = nullptr;
  int r_score = 0;
  int f_score = 0;
  int m_score = 0;
  const std::string* segment = nullptr;
  const CustomerPrediction* prediction = nullptr;  ///< null when no model was fitted
  /// The next purchase (`--upgrade`); null when not computed. With it, the segment names of
  /// next->segment and next->upgrade_segment (the latter null when there is none).
  const NextPurchase* next = nullptr;
  const std::string* next_segment = nullptr;
  const std::string* upgrade_segment = nullptr;
};

/// Writes records in `format`. JSON: {"metadata": ..., "customers": [...]}, one record a line.
/// NDJSON and CSV carry no metadata; the caller writes it separately (see README).
/// Throws ModelError naming the customer and field if a number is not finite (the first such
/// record in output order). Records are formatted on `threads` threads in fixed blocks and
/// written in order, so the bytes do not depend on `threads`.
void write_customer_records(OutputFile& out, RecordFormat format,
                            const std::vector<CustomerRecord>& records,
                            const nlohmann::ordered_json& metadata, int threads = 1);

/// Record `index` of the output, built when it is written (from any thread; must not throw).
using RecordSource = std::function<CustomerRecord(std::size_t index)>;

/// The same for `record_count` records made on demand, so that no vector of records (40 bytes a
/// customer) has to exist next to the data it points into.
void write_customer_records(OutputFile& out, RecordFormat format, std::size_t record_count,
                            const RecordSource& records, const nlohmann::ordered_json& metadata,
                            int threads = 1);

/// Appends `value` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, std::string_view value);

/// Appends a finite number with 12 significant digits; otherwise throws ModelError
/// "non-finite <field> of customer '<customer>'" (the message is built only on that cold path).
void append_number(std::string& out, double value, std::string_view field,
                   std::string_view customer);

/// Record i of an analysis, pointing into it (it must outlive the source); records are made as
/// they are written, never stored all at once.
RecordSource record_source(const CustomerAnalysis& analysis);

/// Writes the analysis's records to `path` ("-" = stdout) in `format`, atomically; NDJSON and
/// CSV get `metadata` in a side file "<path>.meta.json" (written atomically too), or on stderr
/// when `path` is "-". Records are formatted on `threads` threads (the bytes do not depend on
/// it).
void write_customer_records(const std::string& path, RecordFormat format,
                            const CustomerAnalysis& analysis,
                            const nlohmann::ordered_json& metadata, int threads);

/// Commits records written to `out` (opened for `path`) with their metadata: JSON holds it
/// already; NDJSON and CSV get the side file "<path>.meta.json", or one JSON line on stderr when
/// `path` is "-". Both land or neither does (a side file is never left without its records, on
/// a full disk say). Throws IoError.
void commit_records(OutputFile& out, const std::string& path, RecordFormat format,
                    const nlohmann::ordered_json& metadata);

}  // namespace clvkit
