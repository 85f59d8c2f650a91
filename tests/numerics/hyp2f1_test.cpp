#include "clvkit/numerics/hyp2f1.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using clvkit::hyp2f1;
using clvkit::hyp2f1_deficit;
using clvkit::Hyp2f1Method;
using clvkit::log_hyp2f1;
using clvkit::log_hyp2f1_by;
using clvkit::LogHyp2f1Result;

const char* method_name(Hyp2f1Method m) {
  switch (m) {
    case Hyp2f1Method::invalid:
      return "invalid";
    case Hyp2f1Method::closed_form:
      return "closed_form";
    case Hyp2f1Method::polynomial:
      return "polynomial";
    case Hyp2f1Method::series:
      return "series";
    case Hyp2f1Method::euler_series:
      return "euler_series";
    case Hyp2f1Method::connection:
      return "connection";
  }
  return "?";
}

// Rows of a numeric CSV with a header line (tests/data/<name>).
std::vector<std::vector<double>> read_table(const std::string& name) {
  std::ifstream in(std::string(CLVKIT_TEST_DATA_DIR) + "/" + name);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> row;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

// Parameter triples of the BG/NBD conditional expectation, (r+x, b+x, a+b+x-1).
struct Triple {
  double a, b, c;
};
std::vector<Triple> bgnbd_triples() {
  std::vector<Triple> t;
  const double params[][3] = {{0.24259292827982198, 0.7928859664406002, 2.4257523826255123},
                              {0.05, 0.3, 0.8},
                              {2.5, 1.7, 6.0},
                              {0.7, 0.7, 3.0},
                              {10.0, 0.5, 40.0},
                              {0.3, 12.0, 0.4}};
  for (const auto& p : params) {
    for (double x : {0.0, 1.0, 6.0, 40.0, 400.0})
      t.push_back({p[0] + x, p[2] + x, p[1] + p[2] + x - 1.0});
  }
  return t;
}

}  // namespace

TEST_CASE("2F1 matches mpmath to 1e-10 over the BG/NBD range", "[numerics][hyp2f1][consistency]") {
  // tests/data/hyp2f1_reference.csv: 506 points from mpmath at 50 digits (see the .md beside it),
  // spanning r+x up to 1000, z up to 0.9999, c-a-b at and within 1e-12..0.5 of integers, c < 0 and
  // z < 0. Tolerance 1e-10 on log|F|, i.e. 1e-10 relative on F: our worst is ~2e-12 (logs of gamma
  // functions of arguments ~3000 carry ~1e-12 absolute); a formula slip (e.g. an inconsistently
  // rounded c - b) shows at 1e-8 or worse. The error estimate must cover the actual error.
  const auto rows = read_table("hyp2f1_reference.csv");
  REQUIRE(rows.size() > 400);
  double worst = 0.0;
  for (const auto& row : rows) {
    const double a = row[0], b = row[1], c = row[2], z = row[3];
    const LogHyp2f1Result f = log_hyp2f1(a, b, c, z);
    const double diff = std::fabs(f.log_abs - row[4]);
    CAPTURE(a, b, c, z, row[4], f.log_abs, diff, f.error, method_name(f.method), f.terms);
    CHECK(f.sign == static_cast<int>(row[5]));
    CHECK(diff <= 1e-10);
    CHECK(diff <= 20.0 * f.error + 1e-14);
    if (diff > worst || std::isnan(diff)) worst = diff;
  }
  CAPTURE(worst);
  CHECK(worst < 1e-11);
}

TEST_CASE("2F1 methods agree with each other wherever two of them converge",
          "[numerics][hyp2f1][consistency]") {
  // The dispatcher picks the cheapest method by a cost estimate, so its cutoffs move with the
  // parameters; continuity at any cutoff follows from every pair of methods agreeing on the
  // overlap. Tolerance: 1e-12 relative plus both error estimates.
  const Hyp2f1Method methods[] = {Hyp2f1Method::series, Hyp2f1Method::euler_series,
                                  Hyp2f1Method::connection};
  int compared = 0;
  for (const Triple& t : bgnbd_triples()) {
    for (double z : {0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9}) {
      LogHyp2f1Result r[3];
      for (int i = 0; i < 3; ++i)
        r[i] = log_hyp2f1_by(methods[i], t.a, t.b, t.c, z, 1.0 - z, 20000);
      for (int i = 0; i < 3; ++i) {
        for (int j = i + 1; j < 3; ++j) {
          if (r[i].method == Hyp2f1Method::invalid || r[j].method == Hyp2f1Method::invalid)
            continue;
          if (r[i].error > 1e-11 || r[j].error > 1e-11) continue;  // a cancelling series
          CAPTURE(t.a, t.b, t.c, z, method_name(methods[i]), method_name(methods[j]), r[i].log_abs,
                  r[j].log_abs, r[i].error, r[j].error);
          CHECK(r[i].sign == r[j].sign);
          CHECK(std::fabs(r[i].log_abs - r[j].log_abs) <= 1e-12 + r[i].error + r[j].error);
          ++compared;
        }
      }
    }
  }
  CHECK(compared > 150);
}

TEST_CASE("2F1 is continuous in z across the dispatcher's switches", "[numerics][hyp2f1]") {
  // Walk z upwards; wherever the chosen method changes, both methods are evaluated at the same
  // point and must agree to 1e-12 relative (plus error estimates).
  int switches = 0;
  for (const Triple& t : bgnbd_triples()) {
    Hyp2f1Method previous = Hyp2f1Method::invalid;
    for (double z = 0.01; z < 0.999; z += 0.01) {
      const LogHyp2f1Result here = log_hyp2f1(t.a, t.b, t.c, z);
      REQUIRE(here.method != Hyp2f1Method::invalid);
      if (previous != Hyp2f1Method::invalid && here.method != previous) {
        const LogHyp2f1Result other = log_hyp2f1_by(previous, t.a, t.b, t.c, z, 1.0 - z);
        CAPTURE(t.a, t.b, t.c, z, method_name(previous), method_name(here.method));
        if (other.method != Hyp2f1Method::invalid && other.error < 1e-11) {
          CHECK(std::fabs(other.log_abs - here.log_abs) <= 1e-12 + other.error + here.error);
          ++switches;
        }
      }
      previous = here.method;
    }
  }
  CHECK(switches >= 10);
}

TEST_CASE("2F1 is continuous as c - a - b passes through integers", "[numerics][hyp2f1]") {
  // The connection formula is regrouped so that c - a - b = m + eta is handled by one formula for
  // every eta; here F must be smooth in eta at eta = 0: log F(eta) = log F(0) + eta * slope +
  // O(eta^2) with the slope from eta = +-1e-5. Checked for m >= 0 (direct) and m < 0 (after Euler).
  for (double a : {0.7, 3.25}) {
    for (double b : {2.2, 40.0}) {
      for (int m : {-3, -1, 0, 1, 4}) {
        for (double z : {0.9, 0.9999}) {
          const auto f = [&](double eta) { return log_hyp2f1(a, b, a + b + m + eta, z).log_abs; };
          const double f0 = f(0.0);
          const double slope = (f(1e-5) - f(-1e-5)) / 2e-5;
          for (double eta : {-1e-8, -1e-12, 1e-12, 1e-8}) {
            CAPTURE(a, b, m, z, eta, f0, slope);
            CHECK(std::fabs(f(eta) - (f0 + eta * slope)) <= 1e-12 * (1.0 + std::fabs(f0)));
          }
        }
      }
    }
  }
}

TEST_CASE("2F1 closed forms and terminating cases", "[numerics][hyp2f1]") {
  const double z = 0.37;
  CHECK(hyp2f1(1.5, 2.5, 3.5, 0.0).value == 1.0);
  CHECK(hyp2f1(0.0, 2.5, 3.5, z).value == 1.0);
  CHECK(hyp2f1(2.0, 2.5, 2.0, z).value == Approx(std::pow(1.0 - z, -2.5)).epsilon(1e-15));
  CHECK(hyp2f1(2.0, 2.5, 2.5, z).value == Approx(std::pow(1.0 - z, -2.0)).epsilon(1e-15));
  CHECK(hyp2f1(2.0, 2.5, 2.5, z).method == Hyp2f1Method::closed_form);
  // a = -3: 1 - 3 b z / c + 3 b (b+1) z^2 / (c (c+1)) - b (b+1)(b+2) z^3 / (c (c+1)(c+2)).
  const double b = 1.25, c = 2.75;
  const double poly = 1.0 - 3.0 * b * z / c + 3.0 * b * (b + 1) * z * z / (c * (c + 1)) -
                      b * (b + 1) * (b + 2) * z * z * z / (c * (c + 1) * (c + 2));
  const auto p = hyp2f1(-3.0, b, c, z);
  CHECK(p.value == Approx(poly).epsilon(1e-15));
  CHECK(p.method == Hyp2f1Method::polynomial);
  // c - a = -2: Euler turns it into (1-z)^(c-a-b) times a quadratic; compare with the series.
  const auto e = log_hyp2f1(4.5, 1.25, 2.5, 0.3);
  const auto s = log_hyp2f1_by(Hyp2f1Method::series, 4.5, 1.25, 2.5, 0.3, 0.7);
  CHECK(e.method == Hyp2f1Method::polynomial);
  CHECK(std::fabs(e.log_abs - s.log_abs) < 1e-14);
  // Terminating even though c is a negative integer (the series stops before (c)_n = 0).
  CHECK(std::isfinite(hyp2f1(-2.0, 1.0, -5.0, 0.5).value));
}

TEST_CASE("2F1 reports invalid input as NaN with an infinite error", "[numerics][hyp2f1]") {
  for (const auto& args :
       {std::array<double, 4>{1.0, 2.0, -2.0, 0.5}, std::array<double, 4>{1.0, 2.0, 3.0, 1.0},
        std::array<double, 4>{1.0, 2.0, 3.0, 1.5}, std::array<double, 4>{1.0, 2.0, 0.0, 0.5},
        std::array<double, 4>{std::nan(""), 2.0, 3.0, 0.5}}) {
    CAPTURE(args[0], args[1], args[2], args[3]);
    const auto r = hyp2f1(args[0], args[1], args[2], args[3]);
    CHECK(std::isnan(r.value));
    CHECK(r.method == Hyp2f1Method::invalid);
    CHECK(r.error == std::numeric_limits<double>::infinity());
  }
}

TEST_CASE("2F1 log form stays finite where the value overflows", "[numerics][hyp2f1]") {
  // F(1000, 1002; 1001.5; 0.9999) ~ (1e-4)^(-1000.5): far beyond double, its log is ~9212.
  const auto f = log_hyp2f1(1000.0, 1002.0, 1001.5, 0.9999);
  CHECK(std::isfinite(f.log_abs));
  CHECK(f.log_abs > 9000.0);
  CHECK(hyp2f1(1000.0, 1002.0, 1001.5, 0.9999).value == std::numeric_limits<double>::infinity());
}

TEST_CASE("2F1 deficit [1 - (1-z)^b F]/b is continuous through b = 0", "[numerics][hyp2f1]") {
  // At b = 0 the deficit is -log(1-z) - sum (a)_n z^n / (n (c)_n); for |b| >= 1/4 it must agree
  // with the plain formula from log_hyp2f1; near b = 0 it must be smooth (slope from b = +-1e-4).
  // a < c as in BG/NBD, where c - a = r + x.
  for (double a : {1.2, 0.35, -0.6}) {
    for (double c : {1.8, 12.0}) {
      for (double z : {0.05, 0.4, 0.75, 0.97, 0.9999}) {
        const double s = 1.0 - z;
        CAPTURE(a, c, z);
        const auto d0 = hyp2f1_deficit(a, 0.0, c, z, s);
        REQUIRE(std::isfinite(d0.value));
        if (z <= 0.4) {
          long double sum = 0.0L, term = 1.0L;
          for (int n = 1; n < 400; ++n) {
            term *= (a + n - 1) * static_cast<long double>(z) / (c + n - 1);
            sum += term / n;
          }
          const double want = static_cast<double>(-std::log1p(-static_cast<long double>(z)) - sum);
          CHECK(d0.value == Approx(want).epsilon(1e-13));
        }
        const double slope =
            (hyp2f1_deficit(a, 1e-4, c, z, s).value - hyp2f1_deficit(a, -1e-4, c, z, s).value) /
            2e-4;
        for (double b : {-1e-8, -1e-12, 1e-12, 1e-8}) {
          CAPTURE(b);
          const double d = hyp2f1_deficit(a, b, c, z, s).value;
          CHECK(std::fabs(d - (d0.value + b * slope)) <= 1e-12 * std::fabs(d0.value));
        }
        for (double b : {0.3, -0.45, 1.7}) {
          CAPTURE(b);
          const auto f = log_hyp2f1(a, b, c, z, s);
          const double plain = (1.0 - f.sign * std::exp(b * std::log(s) + f.log_abs)) / b;
          const auto d = hyp2f1_deficit(a, b, c, z, s);
          CHECK(d.value == Approx(plain).epsilon(1e-11));
        }
      }
    }
  }
}

TEST_CASE("2F1 deficit is continuous at its |b| = 1/4 method switch", "[numerics][hyp2f1]") {
  // Near z = 1 the deficit uses the b-divided connection formula for |b| < 1/4 and the plain
  // [1 - (1-z)^b F]/b above; the two must meet. Step 2e-12 in b moves D by ~|dD/db| 2e-12.
  for (double a : {0.35, 1.9, -0.4}) {
    for (double c : {2.2, 30.0}) {
      for (double z : {0.8, 0.99, 0.9999}) {
        for (double b : {0.25, -0.25}) {
          CAPTURE(a, c, z, b);
          const double lo = hyp2f1_deficit(a, b * (1 - 1e-12), c, z, 1.0 - z).value;
          const double hi = hyp2f1_deficit(a, b * (1 + 1e-12), c, z, 1.0 - z).value;
          CHECK(std::fabs(hi - lo) <= 1e-11 * std::fabs(lo));
        }
      }
    }
  }
}
