// The README's library example: a log in, every customer's segment and value out.
#include <cstdio>

#include "clvkit/analysis.hpp"

int main(int argc, char** argv) {
  clvkit::AnalysisOptions options;  // rfm11 segments, BG/NBD + Gamma-Gamma, 12-month CLV
  options.threads = 0;              // every hardware thread; no result depends on it
  const clvkit::CustomerAnalysis a = clvkit::analyze(argc > 1 ? argv[1] : "orders.csv", options);
  const clvkit::PurchaseModel& model = *a.models->purchase.model;
  std::printf("%zu customers, %lld rows read; %s fit: %s\n", a.size(),
              static_cast<long long>(a.rows().rows_read), model.label().data(),
              a.models->purchase.summary.converged() ? "converged" : "NOT converged");
  for (std::size_t i = 0; i < 3; ++i) {
    const clvkit::CustomerPrediction& p = a.predictions[i];
    std::printf("%s %-20s p_alive %.3f  CLV %.2f  at risk %.2f\n", a.customers()[i].id.c_str(),
                a.segment_name(i).c_str(), p.p_alive, p.clv, p.value_at_risk);
  }
}
