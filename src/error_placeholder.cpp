#include "clvkit/error.hpp"
