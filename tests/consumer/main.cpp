// A library user's program: a log's customers, their rfm11 segments and the BG/NBD parameters.
#include <cstdio>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/rfm/segments.hpp"
#include "clvkit/summary/ingest.hpp"

int main(int argc, char** argv) {
  const auto base = clvkit::ingest_transactions_file(argc > 1 ? argv[1] : "data/cdnow.csv", {});
  const clvkit::SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  std::vector<int> counts(scheme.segments().size());
  for (clvkit::RfmScore s : clvkit::score_customers(base.customers, scheme))
    ++counts[scheme.segment_of(s)];
  std::printf("customers %zu, scheme %s\n", base.customers.size(), scheme.source().c_str());
  for (std::size_t i = 0; i < counts.size(); ++i)
    std::printf("  %s %d\n", scheme.segments()[i].name.c_str(), counts[i]);
  const auto m = clvkit::fit_customer_models(base.customers, clvkit::TimeUnit::week).purchase.model;
  const auto p = m->parameters();
  std::printf("BG/NBD r %.4f alpha %.4f a %.4f b %.4f\n", p[0], p[1], p[2], p[3]);
}
