// awaitcallback.h: the tests' one way to wait for an asynchronous answer.
//
// Most CacheLab calls take (context, callback) and answer later on the event
// loop. TestSupport::await runs such a call with a local context object and
// spins the event loop until the callback has delivered its value, or the
// wait runs out. A callback that arrives after the wait is dropped with the
// context, so it never writes into a finished stack frame.
#pragma once

#include <optional>
#include <QObject>
#include <QTest>
#include "testtime.h"

namespace TestSupport {

/// The bound every fixture uses unless a test asks for another.
// Waits end as soon as their condition holds; the bound only catches a hang,
// so it is stretched in the sanitizer build (testtime.h).
inline const int DefaultWaitMs = TestTime::scaled(10000);

/// Runs call(context, callback) and waits at most waitMs for the callback.
/// Empty when no answer came in time; the caller reports that as its failure.
template<typename Result, typename Call> std::optional<Result> await(Call &&call, int waitMs = DefaultWaitMs)
{
    std::optional<Result> out;
    QObject context;
    call(&context, [&out](const Result &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, waitMs);
    return out;
}

} // namespace TestSupport
