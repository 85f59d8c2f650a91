// Micro-benchmarks of the hot paths: row parsing and summarising, date parsing, the BG/NBD
// likelihood with gradient over distinct patterns, 2F1, per-customer predictions, and the BG/NBD,
// MBG/NBD, Pareto/NBD and BG/BB fits.
// Run: build/bench/clvkit_micro_bench (configure with -DCLVKIT_BUILD_BENCHMARKS=ON).

#include <benchmark/benchmark.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "../src/summary/log_scan.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/bgbb_fit.hpp"
#include "clvkit/models/bgbb_model.hpp"
#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/bgnbd_fit.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/mbgnbd_fit.hpp"
#include "clvkit/models/pnbd_fit.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/numerics/hyp2f1.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/summary/ingest.hpp"

namespace {

using namespace clvkit;

const BgNbdParams kCdnow{0.242593, 4.413532, 0.792886, 2.425752};
const GammaGammaParams kSpend{6.248802, 3.744588, 15.447748};

// A simulated log of `customers` customers (CDNOW parameters), as CSV text.
const std::string& simulated_log(std::int64_t customers) {
  static std::string text;
  static std::int64_t made_for = -1;
  if (made_for != customers) {
    SimulationOptions options;
    options.customers = customers;
    text.clear();
    write_simulated_transactions(options, [&](std::string_view piece) { text.append(piece); });
    made_for = customers;
  }
  return text;
}

// The same log with its rows sorted by date, as point-of-sale exports usually are: consecutive
// rows then belong to different customers, so every row is a lookup in a large table.
const std::string& date_sorted_log(std::int64_t customers) {
  static std::string text;
  static std::int64_t made_for = -1;
  if (made_for != customers) {
    const std::string& grouped = simulated_log(customers);
    const std::size_t header_end = grouped.find('\n') + 1;
    std::vector<std::string_view> lines;
    for (std::size_t at = header_end; at < grouped.size();) {
      const std::size_t end = grouped.find('\n', at);
      lines.push_back(std::string_view(grouped).substr(at, end - at + 1));
      at = end + 1;
    }
    const auto date_of = [](std::string_view line) { return line.substr(line.find(',') + 1, 10); };
    std::stable_sort(lines.begin(), lines.end(), [&](std::string_view a, std::string_view b) {
      return date_of(a) < date_of(b);
    });
    text.assign(grouped, 0, header_end);
    for (const std::string_view line : lines) text.append(line);
    made_for = customers;
  }
  return text;
}

// Args: customers, threads, row order (0 = grouped by customer as simulated, 1 = by date).
void BM_IngestRows(benchmark::State& state) {
  const std::string& text =
      state.range(2) == 0 ? simulated_log(state.range(0)) : date_sorted_log(state.range(0));
  IngestOptions options;
  options.threads = static_cast<int>(state.range(1));
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::istringstream in(text);
    const CustomerBase base = ingest_transactions(in, "bench", options);
    rows = base.stats.rows_read;
    benchmark::DoNotOptimize(base.customers.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_IngestRows)
    ->ArgNames({"customers", "threads", "by_date"})
    ->ArgsProduct({{1'000'000}, {1, 2}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

#if defined(__SSE2__)
// The floor under BM_IngestRows: what a row costs when nothing but its three fields is read.
// One pass over the same log that splits each line with two 16-byte compares, hashes the id,
// converts the date (parse_iso_day) and the amount (integer millionths), and sums them; no
// checks beyond those, no row accounting, no customer state, one thread. Compare its rows/s with
// BM_IngestRows at one thread: the difference is what checking and summarising cost.
void BM_RowLoopFloor(benchmark::State& state) {
  const std::string& text = simulated_log(state.range(0));
  std::int64_t rows = 0;
  for (auto _ : state) {
    const char* p = text.data() + text.find('\n') + 1;
    const char* const end = text.data() + text.size();
    std::uint64_t hashes = 0;
    std::int64_t days = 0, units = 0;
    rows = 0;
    const __m128i newline = _mm_set1_epi8('\n'), comma = _mm_set1_epi8(',');
    const auto mask = [](__m128i bytes, __m128i wanted) {
      return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, wanted)));
    };
    for (; end - p >= 32; ++rows) {
      const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      const int length = __builtin_ctz(mask(low, newline) | mask(high, newline) << 16);
      std::uint32_t commas = (mask(low, comma) | mask(high, comma) << 16) & ((1u << length) - 1);
      const int date_at = __builtin_ctz(commas) + 1;
      commas &= commas - 1;
      const int amount_at = __builtin_ctz(commas) + 1;
      hashes += detail::hash_id({p, static_cast<std::size_t>(date_at - 1)});
      Day day = 0;
      parse_iso_day(p + date_at, day);
      days += day;
      std::int64_t whole = 0, fraction = 0, scale = 1'000'000;
      const char* q = p + amount_at;
      while (*q >= '0' && *q <= '9') whole = whole * 10 + (*q++ - '0');
      if (*q == '.') {
        for (++q; *q >= '0' && *q <= '9' && scale > 1; ++q) {
          scale /= 10;
          fraction += (*q - '0') * scale;
        }
      }
      units += whole * 1'000'000 + fraction;
      p += length + 1;
    }
    benchmark::DoNotOptimize(hashes);
    benchmark::DoNotOptimize(days);
    benchmark::DoNotOptimize(units);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_RowLoopFloor)
    ->ArgNames({"customers"})
    ->Arg(1'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
#endif

void BM_ParseIsoDate(benchmark::State& state) {
  const DateParser parser;
  const std::string dates[] = {"1997-01-01", "2024-02-29", "2010-12-01 08:26:00", "1999-12-31"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.parse(dates[i++ & 3]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseIsoDate);

void BM_ParseFormattedDate(benchmark::State& state) {
  const DateParser parser("%m/%d/%Y %H:%M");
  const std::string dates[] = {"12/1/2010 8:26", "1/31/2011 17:05"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.parse(dates[i++ & 1]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseFormattedDate);

std::vector<CustomerSummary> summaries(std::int64_t customers) {
  std::istringstream in(simulated_log(customers));
  return ingest_transactions(in, "bench", IngestOptions{}).customers;
}

void BM_BgNbdLikelihoodGradient(benchmark::State& state) {
  const auto patterns = frequency_recency_patterns(summaries(state.range(0)), TimeUnit::week);
  std::array<double, 4> gradient{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(bgnbd_total_log_likelihood(kCdnow, patterns, &gradient));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(patterns.size()));
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_BgNbdLikelihoodGradient)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_Hyp2f1(benchmark::State& state) {
  // BG/NBD arguments: a = r + x, b = b + x, c = a + b + x - 1, z = t / (alpha + T + t).
  const double x = static_cast<double>(state.range(0));
  const double z = 52.0 / (4.4 + 39.0 + 52.0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(hyp2f1(0.24 + x, 2.43 + x, 0.79 + 2.43 + x - 1.0, z));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hyp2f1)->Arg(0)->Arg(5)->Arg(100);

void BM_PredictCustomers(benchmark::State& state) {
  const auto customers = summaries(state.range(0));
  const ValueOptions value;
  for (auto _ : state) {
    benchmark::DoNotOptimize(predict_customer_value(customers, TimeUnit::week, BgNbdModel(kCdnow),
                                                    GammaGammaModel(kSpend), value)
                                 .data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(customers.size()));
}
BENCHMARK(BM_PredictCustomers)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_FitBgNbd(benchmark::State& state) {
  const auto patterns = frequency_recency_patterns(summaries(state.range(0)), TimeUnit::week);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fit_bgnbd(patterns).params);
  }
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_FitBgNbd)->Arg(100'000)->Unit(benchmark::kMillisecond);

// MBG/NBD on the same patterns (the simulated BG/NBD base): the same fast likelihood with
// MBG/NBD's x-only terms, so its time should stay near BG/NBD's.
void BM_FitMbgNbd(benchmark::State& state) {
  const auto patterns = frequency_recency_patterns(summaries(state.range(0)), TimeUnit::week);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fit_mbgnbd(patterns).params);
  }
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_FitMbgNbd)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Pareto/NBD on the same patterns as BM_FitBgNbd (issue 12: within 5x of BG/NBD's fit). Its
// 2F1 tail integrals are computed once per distinct (x, t_x) and (x, T) pair (pnbd_fit.cpp).
void BM_FitPnbd(benchmark::State& state) {
  const auto patterns = frequency_recency_patterns(summaries(state.range(0)), TimeUnit::week);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fit_pnbd(patterns).params);
  }
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_FitPnbd)->Arg(100'000)->Unit(benchmark::kMillisecond);

// BG/BB on customers of its own log simulator at FHS 2010's donation estimates, observed for 6 to
// 52 opportunities (a year of weekly opportunities at most): every pattern's likelihood sums over
// its n - t_x opportunities after the last transaction (bgbb.hpp).
void BM_FitBgBb(benchmark::State& state) {
  const BgBbModel model({1.2035, 0.7497, 0.6567, 2.7834});
  std::vector<double> x, t_x, n;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    SimulationRng rng = SimulationRng::for_customer(1, static_cast<std::uint64_t>(i));
    LatentState latent;
    model.draw_customer(rng, 1.0, latent);
    const double observed = static_cast<double>(6 + i % 47);
    double count = 0.0, last = 0.0;
    for (double t = 0.0;;) {
      t = model.next_purchase_time(latent, static_cast<std::int64_t>(count), t, rng);
      if (!(t <= observed)) break;
      count += 1.0;
      last = t;
    }
    x.push_back(count);
    t_x.push_back(last);
    n.push_back(observed);
  }
  const auto patterns = compress_patterns(x, t_x, n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fit_bgbb(patterns).params);
  }
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_FitBgBb)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Output records as `clvkit run` writes them (simulated summaries, CDNOW-parameter predictions,
// scores and segments cycling through typical values), formatted on one thread and written to
// /dev/null, so the figure is the formatting cost per record (format 0 json, 1 ndjson, 2 csv).
void BM_FormatRecords(benchmark::State& state) {
  const auto format = static_cast<RecordFormat>(state.range(0));
  const auto customers = summaries(state.range(1));
  const auto predictions = predict_customer_value(customers, TimeUnit::week, BgNbdModel(kCdnow),
                                                  GammaGammaModel(kSpend), ValueOptions{});
  const std::vector<std::string> segments = {"Champions", "Loyal Customers", "Potential Loyalists",
                                             "At Risk", "Hibernating"};
  std::vector<CustomerRecord> records(customers.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const int score = static_cast<int>(i % 125);
    records[i] = {&customers[i],
                  1 + score % 5,
                  1 + score / 5 % 5,
                  1 + score / 25,
                  &segments[i % segments.size()],
                  &predictions[i]};
  }
  const nlohmann::ordered_json metadata = {{"tool", "clvkit"}};
  for (auto _ : state) {
    OutputFile out("/dev/null");
    write_customer_records(out, format, records, metadata, 1);
    out.commit();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(records.size()));
}
BENCHMARK(BM_FormatRecords)
    ->ArgNames({"format", "customers"})
    ->ArgsProduct({{static_cast<int>(RecordFormat::json), static_cast<int>(RecordFormat::ndjson),
                    static_cast<int>(RecordFormat::csv)},
                   {100'000}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
