// hit-seq: ProductService::get on a warm key, one call at a time
// (cache-aside, traces and metrics on) against a raw hiredis synchronous
// HGETALL loop on one connection. Goal: ratio >= 0.80.
#pragma once

#include "productfixture.h"
#include "rawredis.h"
#include "scenario.h"

class HitSeqScenario : public Scenario
{
public:
    QString name() const override { return QStringLiteral("hit-seq"); }
    QString description() const override;
    qint64 defaultN() const override { return 20000; }
    Goal goal() const override { return { GoalDirection::AtLeast, 0.80, QStringLiteral(">= 0.80") }; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;

protected:
    /// N sequential ProductService::get(1) calls, each issued from the
    /// previous one's callback.
    Sample runServiceLoop();

    BenchContext m_ctx;
    ProductFixture m_fixture;
    RawRedis m_raw;
    QByteArray m_key;
};
