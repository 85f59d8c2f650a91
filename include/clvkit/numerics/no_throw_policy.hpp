#pragma once
// Internal to src/: the Boost.Math policy of every special-function call on a hot path.

#include <boost/math/policies/policy.hpp>

namespace clvkit::detail {

// Boost's default policy throws on domain errors and promotes double to long double. We want
// neither on the hot path: report NaN / inf (the callers check their inputs at the boundary) and
// stay in double, which is accurate to a few ulp for lgamma, digamma and the incomplete beta.
using NoThrowPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>,
    boost::math::policies::promote_double<false>>;

}  // namespace clvkit::detail
