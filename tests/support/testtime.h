// How much longer a test may wait than the bound it was written with.
//
// The wait bounds in the tests were calibrated on the RelWithDebInfo build.
// The sanitizer build (-O0 plus ASan/UBSan instrumentation on every load and
// store) runs the same code several times slower, so a bound that only
// catches a hang there can fire on a healthy run. tests/CMakeLists.txt sets
// CACHELAB_TEST_TIME_FACTOR for every test (1 normally, more when
// CACHELAB_SANITIZE is on); waits multiply their bound by it. Nothing else
// changes: a wait still ends as soon as its condition holds, and every
// assertion is still made.
#pragma once

#include <QtGlobal>

namespace TestTime {

/// The factor from CACHELAB_TEST_TIME_FACTOR; 1 when unset or not a positive integer.
inline int factor()
{
    static const int f = qMax(1, qEnvironmentVariableIntValue("CACHELAB_TEST_TIME_FACTOR"));
    return f;
}

/// ms stretched by factor().
inline int scaled(int ms)
{
    return ms * factor();
}

} // namespace TestTime
