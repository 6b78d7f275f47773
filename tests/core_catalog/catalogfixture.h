// Helpers for the catalog tests (ProductTags, ProductSearch) on top of CacheFixture.
#pragma once

#include "cachefixture.h"
#include "catalogresult.h"

namespace CacheTest {

inline QByteArray describeCatalog(const std::optional<CatalogResult> &r)
{
    if (!r)
        return "no callback within the timeout";
    return (serviceStatusName(r->status) + QStringLiteral(": ") + r->error + QStringLiteral("\n") + r->trace.toText())
        .toUtf8();
}

template<typename Call> std::optional<CatalogResult> awaitCatalog(Call &&call)
{
    return TestSupport::await<CatalogResult>(std::forward<Call>(call), WaitMs);
}

inline QStringList productNames(const QList<Product> &products)
{
    QStringList out;
    for (const Product &p : products)
        out << p.name;
    out.sort();
    return out;
}

/// The first Redis step whose command starts with verb, or nullptr.
inline const TraceStep *redisStep(const OperationTrace &t, const QString &verb)
{
    for (const TraceStep &s : t.steps) {
        if (s.system == TraceSystem::Redis && s.text.startsWith(verb))
            return &s;
    }
    return nullptr;
}

} // namespace CacheTest

#define EXPECT_CATALOG(result, expected)                                                                               \
    do {                                                                                                               \
        const auto checked_ = (result);                                                                                \
        QVERIFY2(                                                                                                      \
            checked_.has_value() && checked_->status == (expected), CacheTest::describeCatalog(checked_).constData()); \
    } while (false)
