#pragma once
// Segment scheme texts the tests share.

#include <string_view>

namespace clvkit::test {

/// A valid two-bin scheme with one segment and no value_order: what the next-purchase features
/// (--upgrade) must refuse, and everything else must accept.
inline constexpr std::string_view kSchemeWithoutValueOrder =
    R"({"name": "plain", "bins": 2, "scoring": {"method": "quantile"},
    "segments": [{"name": "All", "description": "Everyone.", "rules": [{}]}]})";

}  // namespace clvkit::test
