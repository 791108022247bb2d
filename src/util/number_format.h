// Numbers as text the way Python writes them: the shortest decimal that reads back as the same
// double (repr, json.dumps), in fixed notation for decimal exponents -4..15 and as "1e-05"
// otherwise, so a score senti prints is byte for byte what the Hugging Face pipeline's
// json.dumps prints. Non-finite values give "null" (JSON has no NaN). Does not parse numbers.
#pragma once
#include <string>

namespace senti {

std::string python_float_repr(double v);

}  // namespace senti
