// Numbers as text the way Python writes them: the shortest decimal that reads
// back as the same double (repr / json.dumps), fixed notation for exponents
// -4..15 and "1e-05" style otherwise. So a score senti prints is byte for byte
// what the Hugging Face pipeline's json.dumps prints. Does not format integers
// or non-finite values for JSON (those give "null"; JSON has no NaN).
#pragma once
#include <string>

namespace senti {

std::string python_float_repr(double v);

} // namespace senti
