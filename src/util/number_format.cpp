#include "util/number_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace senti {

std::string python_float_repr(double v) {
  if (!std::isfinite(v)) return "null";
  // The shortest round-trip digits, in scientific form: [-]d[.ddd]e±XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  std::string out;
  size_t pos = 0;
  if (sci[0] == '-') {
    out = "-";
    pos = 1;
  }
  const size_t e_at = sci.find('e');
  std::string digits;
  for (size_t i = pos; i < e_at; ++i)
    if (sci[i] != '.') digits += sci[i];
  const int exp = std::atoi(sci.c_str() + e_at + 1);
  if (exp < -4 || exp >= 16) {  // where Python's repr switches to scientific notation
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    const int a = std::abs(exp);
    if (a < 10) out += "0";
    return out + std::to_string(a);
  }
  if (exp < 0) return out + "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  const size_t int_digits = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_digits) return out + digits + std::string(int_digits - digits.size(), '0') + ".0";
  return out + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

}  // namespace senti
