#include "clvkit/output/state_file.hpp"

#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "clvkit/error.hpp"
#include "clvkit/io/digest.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

using Json = nlohmann::ordered_json;
constexpr char kMagic[8] = {'C', 'L', 'V', 'K', 'S', 'T', 'A', 'T'};
constexpr std::size_t kHeaderBytes = 32;

// ---- Settings as JSON ----------------------------------------------------------------------

std::string hex(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

Json rows_json(const IngestStats& rows) {
  Json out;
  out["read"] = rows.rows_read;
  out["used"] = rows.rows_used;
  out["after_as_of"] = rows.rows_after_as_of;
  Json rejected = Json::object();
  for (int r = 0; r < static_cast<int>(RejectReason::count_); ++r) {
    rejected[reject_reason_key(static_cast<RejectReason>(r))] = rows.rejected[r];
  }
  out["rejected"] = rejected;
  out["returns_netted"] = rows.returns_netted;
  out["zero_amount_rows"] = rows.zero_amount_rows;
  out["customers_without_purchase"] = rows.customers_without_purchase;
  return out;
}

Json settings_json(const AnalysisState& state, const Json& model_document) {
  const CustomerHistories& h = state.histories;
  Json out;
  out["format"] = "clvkit-state";
  out["format_version"] = kStateFileVersion;
  out["tool"] = std::string("clvkit ") + CLVKIT_VERSION;
  out["as_of"] = h.as_of;
  out["first_day"] = h.first_day;
  out["last_day"] = h.last_day;
  out["customers"] = h.size();
  out["numeric_ids"] = h.numeric_ids();
  out["rows"] = rows_json(h.rows);
  const IngestOptions& in = state.input;
  Json input;
  input["customer_col"] = in.customer_col;
  input["date_col"] = in.date_col;
  input["amount_col"] = in.amount_col;
  input["delimiter"] = std::string(in.delimiter == '\0' ? 0 : 1, in.delimiter);
  input["date_format"] = in.date_format;
  input["returns"] = returns_policy_key(in.returns);
  input["zero_amounts"] = zero_amount_policy_key(in.zero_amounts);
  input["on_bad_row"] = bad_row_policy_key(in.on_bad_row);
  out["input"] = input;
  Json segmentation;
  segmentation["scheme"] = state.segmentation.scheme;
  segmentation["bins"] = state.segmentation.bins;
  segmentation["monetary"] = state.segmentation.monetary;
  segmentation["scheme_text"] = state.scheme_text;
  out["segmentation"] = segmentation;
  out["fit_models"] = state.fit_models;
  const ModelOptions& m = state.model;
  Json model;
  model["purchase"] = m.choice.purchase;
  model["spend"] = m.choice.spend;
  model["time_unit"] = time_unit_key(m.time_unit);
  model["max_iterations"] = m.fit.max_iterations;
  model["gradient_tolerance"] = m.fit.gradient_tolerance;
  model["max_starts"] = m.fit.max_starts;
  model["try_all_starts"] = m.fit.try_all_starts;
  model["allow_unconverged"] = m.allow_unconverged;
  Json value;
  value["horizon_days"] = m.value.horizon_days;
  value["margin"] = m.value.margin;
  value["annual_discount_rate"] = m.value.annual_discount_rate;
  value["period_discount_rate"] =
      m.value.period_discount_rate ? Json(*m.value.period_discount_rate) : Json(nullptr);
  value["period_days"] = m.value.period_days;
  value["lifetime"] = m.value.lifetime;
  value["rank_churn"] = m.value.rank_churn;
  model["value"] = value;
  out["model"] = model;
  out["models"] = model_document;
  Json logs = Json::array();
  for (const AppliedLog& log : state.logs) {
    Json entry;
    entry["source"] = replace_invalid_utf8(log.source);
    entry["digest"] = log.digest ? Json(hex(log.digest->digest)) : Json(nullptr);
    entry["bytes"] = log.digest ? Json(log.digest->bytes) : Json(nullptr);
    entry["rows_read"] = log.rows_read;
    entry["as_of"] = log.as_of;
    logs.push_back(entry);
  }
  out["logs"] = logs;
  return out;
}

/// Reads fields of a settings document; every failure names the file and the field.
class Fields {
 public:
  Fields(const std::string& path) : path_(path) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": not a valid clvkit state file: " + what);
  }
  const Json& at(const Json& object, const char* key) const {
    if (!object.is_object() || !object.contains(key)) fail(std::string("missing '") + key + "'");
    return object.at(key);
  }
  template <class T>
  T get(const Json& object, const char* key) const {
    const Json& value = at(object, key);
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(std::string("'") + key + "' has the wrong type");
    }
  }

 private:
  const std::string& path_;
};

IngestStats rows_from(const Fields& f, const Json& rows) {
  IngestStats out;
  out.rows_read = f.get<std::int64_t>(rows, "read");
  out.rows_used = f.get<std::int64_t>(rows, "used");
  out.rows_after_as_of = f.get<std::int64_t>(rows, "after_as_of");
  const Json& rejected = f.at(rows, "rejected");
  for (int r = 0; r < static_cast<int>(RejectReason::count_); ++r) {
    out.rejected[r] =
        f.get<std::int64_t>(rejected, reject_reason_key(static_cast<RejectReason>(r)));
  }
  out.returns_netted = f.get<std::int64_t>(rows, "returns_netted");
  out.zero_amount_rows = f.get<std::int64_t>(rows, "zero_amount_rows");
  out.customers_without_purchase = f.get<std::int64_t>(rows, "customers_without_purchase");
  if (!out.reconciles()) f.fail("its row accounting does not reconcile");
  return out;
}

std::uint64_t parse_hex(const Fields& f, const std::string& text) {
  if (text.size() != 16) f.fail("a log digest is not 16 hex digits");
  std::uint64_t value = 0;
  for (const char c : text) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) f.fail("a log digest is not 16 hex digits");
    value = value * 16 + static_cast<std::uint64_t>(digit);
  }
  return value;
}

// The settings, models and logs of a state (its histories and placements come separately).
void settings_from(const Fields& f, const Json& doc, const std::string& path, StateFile& out) {
  AnalysisState& state = out.state;
  const Json& input = f.at(doc, "input");
  state.input.customer_col = f.get<std::string>(input, "customer_col");
  state.input.date_col = f.get<std::string>(input, "date_col");
  state.input.amount_col = f.get<std::string>(input, "amount_col");
  const std::string delimiter = f.get<std::string>(input, "delimiter");
  if (delimiter.size() > 1) f.fail("'delimiter' is more than one character");
  state.input.delimiter = delimiter.empty() ? '\0' : delimiter[0];
  state.input.date_format = f.get<std::string>(input, "date_format");
  try {
    state.input.returns = parse_returns_policy(f.get<std::string>(input, "returns"), "returns");
    state.input.zero_amounts =
        parse_zero_amount_policy(f.get<std::string>(input, "zero_amounts"), "zero_amounts");
    state.input.on_bad_row =
        parse_bad_row_policy(f.get<std::string>(input, "on_bad_row"), "on_bad_row");
  } catch (const UsageError& error) {
    f.fail(error.what());
  }
  const Json& segmentation = f.at(doc, "segmentation");
  state.segmentation.scheme = f.get<std::string>(segmentation, "scheme");
  state.segmentation.bins = f.get<int>(segmentation, "bins");
  state.segmentation.monetary = f.get<std::string>(segmentation, "monetary");
  state.scheme_text = f.get<std::string>(segmentation, "scheme_text");
  state.fit_models = f.get<bool>(doc, "fit_models");
  const Json& model = f.at(doc, "model");
  ModelOptions& m = state.model;
  m.choice.purchase = f.get<std::string>(model, "purchase");
  m.choice.spend = f.get<std::string>(model, "spend");
  try {
    m.time_unit = parse_time_unit(f.get<std::string>(model, "time_unit"), "time_unit");
  } catch (const UsageError& error) {
    f.fail(error.what());
  }
  m.fit.max_iterations = f.get<int>(model, "max_iterations");
  m.fit.gradient_tolerance = f.get<double>(model, "gradient_tolerance");
  m.fit.max_starts = f.get<int>(model, "max_starts");
  m.fit.try_all_starts = f.get<bool>(model, "try_all_starts");
  m.allow_unconverged = f.get<bool>(model, "allow_unconverged");
  const Json& value = f.at(model, "value");
  m.value.horizon_days = f.get<double>(value, "horizon_days");
  m.value.margin = f.get<double>(value, "margin");
  m.value.annual_discount_rate = f.get<double>(value, "annual_discount_rate");
  if (!f.at(value, "period_discount_rate").is_null()) {
    m.value.period_discount_rate = f.get<double>(value, "period_discount_rate");
  }
  m.value.period_days = f.get<double>(value, "period_days");
  m.value.lifetime = f.get<bool>(value, "lifetime");
  m.value.rank_churn = f.get<bool>(value, "rank_churn");
  const Json& models = f.at(doc, "models");
  if (!models.is_null()) {
    out.model_document = models;
    state.models = saved_models(parse_model_file(models.dump(), path + " (its models)"));
  } else if (state.fit_models) {
    f.fail("'fit_models' is true but it holds no models");
  }
  for (const Json& entry : f.at(doc, "logs")) {
    AppliedLog log;
    log.source = f.get<std::string>(entry, "source");
    if (!f.at(entry, "digest").is_null()) {
      log.digest = FileDigest{parse_hex(f, f.get<std::string>(entry, "digest")),
                              f.get<std::uint64_t>(entry, "bytes")};
    }
    log.rows_read = f.get<std::int64_t>(entry, "rows_read");
    log.as_of = f.get<Day>(entry, "as_of");
    state.logs.push_back(std::move(log));
  }
}

// ---- Binary pieces ---------------------------------------------------------------------------

void put_u32(std::string& out, std::uint32_t value) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
}
void put_u64(std::string& out, std::uint64_t value) {
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
}

/// Reads the little-endian pieces of a mapped file; a read past the end is a truncated file.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, const std::string& path)
      : bytes_(bytes), path_(path) {}
  std::span<const std::uint8_t> take(std::uint64_t count) {
    if (count > bytes_.size() - at_) {
      throw InputError(path_ + ": the state file is truncated or its tables are corrupt");
    }
    const std::span<const std::uint8_t> out = bytes_.subspan(at_, static_cast<std::size_t>(count));
    at_ += static_cast<std::size_t>(count);
    return out;
  }
  std::uint64_t u64() { return little_endian(take(8)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(take(4))); }
  std::size_t remaining() const noexcept { return bytes_.size() - at_; }

 private:
  static std::uint64_t little_endian(std::span<const std::uint8_t> bytes) {
    std::uint64_t value = 0;
    for (std::size_t k = bytes.size(); k-- > 0;) value = (value << 8) | bytes[k];
    return value;
  }
  std::span<const std::uint8_t> bytes_;
  const std::string& path_;
  std::size_t at_ = 0;
};

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

nlohmann::ordered_json state_model_document(const AnalysisState& state,
                                            const DropoutIdentification& dropout) {
  if (!state.models) return nullptr;
  Json calibration;
  calibration["source"] =
      state.logs.empty() ? Json("") : Json(replace_invalid_utf8(state.logs.back().source));
  calibration["as_of"] = format_day(state.histories.as_of);
  calibration["customers"] =
      state.histories.size() -
      static_cast<std::size_t>(state.histories.rows.customers_without_purchase);
  calibration["rows_used"] = state.histories.rows.rows_used;
  return model_file_json(*state.models, calibration, dropout);
}

void write_state_file(const std::string& path, const AnalysisState& state,
                      const nlohmann::ordered_json& model_document) {
  const CustomerHistories& histories = state.histories;
  if (state.placements.size() != histories.size()) {
    throw UsageError("write_state_file: one placement per history is needed");
  }
  std::string head;
  const std::string settings = settings_json(state, model_document).dump();
  put_u64(head, settings.size());
  head += settings;
  std::string placements;
  placements.reserve(4 * state.placements.size());
  for (const Placement& p : state.placements) {
    placements.push_back(static_cast<char>(p.score.r));
    placements.push_back(static_cast<char>(p.score.f));
    placements.push_back(static_cast<char>(p.score.m));
    placements.push_back(static_cast<char>(p.segment + 1));
  }
  std::string table;
  put_u64(table, histories.chunks().size());
  for (const CustomerHistories::Chunk& chunk : histories.chunks()) {
    put_u32(table, chunk.customers);
    put_u64(table, chunk.bytes.size());
  }
  StreamingDigest digest;
  std::uint64_t length = head.size() + placements.size() + table.size();
  for (const std::string* piece : {&head, &placements, &table}) digest.update(as_bytes(*piece));
  for (const CustomerHistories::Chunk& chunk : histories.chunks()) {
    digest.update(chunk.bytes);
    length += chunk.bytes.size();
  }
  std::string header(kMagic, sizeof kMagic);
  put_u32(header, kStateFileVersion);
  put_u32(header, 0);
  put_u64(header, length);
  put_u64(header, digest.value());
  OutputFile out(path);
  for (const std::string* piece : {&header, &head, &placements, &table}) out.write(*piece);
  for (const CustomerHistories::Chunk& chunk : histories.chunks()) {
    out.write({reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size()});
  }
  out.commit();
}

StateFile read_state_file(const std::string& path) {
  std::optional<detail::MappedFile> mapped = detail::MappedFile::open(path);
  if (!mapped) {
    // Not a mappable regular file: missing, a directory, empty, or a pipe.
    std::error_code error;
    if (!std::filesystem::exists(path, error))
      throw IoError("cannot open '" + path + "': no such file");
    if (std::filesystem::is_regular_file(path, error) &&
        std::filesystem::file_size(path, error) == 0) {
      throw InputError(path + ": not a clvkit state file (it is empty)");
    }
    throw IoError("cannot read '" + path + "': a state file must be a regular file");
  }
  auto owner = std::make_shared<detail::MappedFile>(std::move(*mapped));
  const std::span<const char> chars = owner->bytes();
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(chars.data()),
                                            chars.size());
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw InputError(path + ": not a clvkit state file (it does not start with CLVKSTAT)");
  }
  Reader header(bytes, path);
  header.take(sizeof kMagic);
  const std::uint32_t version = header.u32();
  if (version != kStateFileVersion) {
    throw InputError(path + ": state file format version " + std::to_string(version) +
                     ", but this clvkit reads version " + std::to_string(kStateFileVersion) +
                     ": run `clvkit run --state` again over the log");
  }
  header.take(4);
  const std::uint64_t length = header.u64();
  const std::uint64_t expected = header.u64();
  if (bytes.size() - kHeaderBytes != length) {
    throw InputError(
        path + ": the state file is " +
        (bytes.size() - kHeaderBytes < length ? "truncated" : "longer than its header says") +
        " (" + std::to_string(bytes.size()) + " bytes, the header says " +
        std::to_string(length + kHeaderBytes) + ")");
  }
  const std::span<const std::uint8_t> payload = bytes.subspan(kHeaderBytes);
  if (digest_bytes(payload) != expected) {
    throw InputError(path + ": the state file is corrupt (its checksum does not match)");
  }
  Reader in(payload, path);
  const std::span<const std::uint8_t> settings_bytes = in.take(in.u64());
  const Fields fields(path);
  const Json doc = Json::parse(settings_bytes.begin(), settings_bytes.end(), nullptr, false);
  if (doc.is_discarded()) fields.fail("its settings are not JSON");
  if (fields.get<std::string>(doc, "format") != "clvkit-state")
    fields.fail("'format' is not clvkit-state");
  StateFile out;
  try {
    settings_from(fields, doc, path, out);
  } catch (const nlohmann::json::exception& error) {
    fields.fail(error.what());
  }
  AnalysisState& state = out.state;
  const auto customers = fields.get<std::uint64_t>(doc, "customers");
  const std::span<const std::uint8_t> placements = in.take(4 * customers);
  state.placements.resize(static_cast<std::size_t>(customers));
  for (std::size_t i = 0; i < state.placements.size(); ++i) {
    Placement& p = state.placements[i];
    p.score = RfmScore{placements[4 * i], placements[4 * i + 1], placements[4 * i + 2]};
    p.segment = static_cast<std::int16_t>(placements[4 * i + 3]) - 1;
  }
  const std::uint64_t chunk_count = in.u64();
  if (chunk_count > in.remaining() / 12) fields.fail("its chunk table is corrupt");
  std::vector<std::pair<std::uint32_t, std::uint64_t>> table;
  for (std::uint64_t c = 0; c < chunk_count; ++c) {
    const std::uint32_t count = in.u32();
    table.emplace_back(count, in.u64());
  }
  std::vector<CustomerHistories::Chunk> chunks;
  std::uint64_t total = 0;
  for (const auto& [count, size] : table) {
    chunks.push_back(CustomerHistories::Chunk{in.take(size), count});
    total += count;
  }
  if (in.remaining() != 0 || total != customers)
    fields.fail("its chunk table does not match its customers");
  state.histories = CustomerHistories::from_chunks(
      std::move(chunks), fields.get<bool>(doc, "numeric_ids"), owner, path);
  state.histories.as_of = fields.get<Day>(doc, "as_of");
  state.histories.first_day = fields.get<Day>(doc, "first_day");
  state.histories.last_day = fields.get<Day>(doc, "last_day");
  state.histories.rows = rows_from(fields, fields.at(doc, "rows"));
  return out;
}

}  // namespace clvkit
