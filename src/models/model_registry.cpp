// The registry of model families: the one place a new model is named (README, "Adding a model").
// The first entry of each list is the default.

#include <array>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/bgbb_model.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/mbgnbd_model.hpp"
#include "clvkit/models/pnbd_model.hpp"

namespace clvkit {
namespace {

const std::array kPurchaseModels = {
    bgnbd_family(),
    mbgnbd_family(),
    pnbd_family(),
    bgbb_family(),
};

const std::array kSpendModels = {
    gamma_gamma_family(),
};

template <class Family>
const Family& find_family(std::span<const Family> families, std::string_view key,
                          const char* what) {
  for (const Family& family : families) {
    if (family.key == key) return family;
  }
  std::string known;
  for (const Family& family : families) {
    known += known.empty() ? "" : ", ";
    known += family.key;
  }
  throw UsageError(std::string("unknown ") + what + " '" + std::string(key) + "' (known: " + known +
                   ")");
}

}  // namespace

std::span<const PurchaseModelFamily> purchase_model_families() noexcept { return kPurchaseModels; }

const PurchaseModelFamily& purchase_model_family(std::string_view key) {
  return find_family(purchase_model_families(), key, "purchase model");
}

std::span<const SpendModelFamily> spend_model_families() noexcept { return kSpendModels; }

const SpendModelFamily& spend_model_family(std::string_view key) {
  return find_family(spend_model_families(), key, "spend model");
}

}  // namespace clvkit
