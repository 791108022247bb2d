// python_float_repr against Python 3.11's repr() of the same doubles (written down by running
// `python3 -c 'print(repr(x))'`), including values where a 17-digit printer and the shortest
// round-trip differ (0.30477863550186157 reads back as the double Python writes 0.3047786355018616).
#include "util/number_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

using senti::python_float_repr;

TEST(NumberFormat, MatchesPythonRepr) {
  const std::pair<double, const char*> cases[] = {
      {0.30477863550186157, "0.3047786355018616"}, {1e-05, "1e-05"}, {0.0001, "0.0001"},
      {1.0, "1.0"}, {123.0, "123.0"}, {1e16, "1e+16"}, {1.5e-07, "1.5e-07"}, {0.1, "0.1"},
      {-2.5, "-2.5"}, {1e22, "1e+22"}, {5e-324, "5e-324"},
      {0.016353661194443703, "0.016353661194443703"}, {0.9121463298797607, "0.9121463298797607"},
      {123456789012345.6, "123456789012345.6"}, {1234567890123456.7, "1234567890123456.8"},
      {0.0, "0.0"}, {-0.0, "-0.0"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.00012345, "0.00012345"}};
  for (const auto& [v, want] : cases) EXPECT_EQ(python_float_repr(v), want) << want;
}

TEST(NumberFormat, ReadsBackAsTheSameDouble) {
  for (double v : {0.6952213644981384, 0.08785364031791687, 3.0e-9, 7.25e200, -1e-300})
    EXPECT_EQ(std::strtod(python_float_repr(v).c_str(), nullptr), v) << python_float_repr(v);
}

TEST(NumberFormat, NonFiniteIsJsonNull) {
  EXPECT_EQ(python_float_repr(std::nan("")), "null");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "null");
}
