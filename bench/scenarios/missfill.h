// miss-fill: cold ProductService::get calls (miss -> SQLite read -> atomic
// fill), one at a time, against the same three steps done with raw hiredis
// and the sqlite3 C API: HGETALL (nil), SELECT by id, MULTI HSET PEXPIRE EXEC.
// Goal: ratio >= 0.70.
#pragma once

#include "productfixture.h"
#include "rawredis.h"
#include "scenario.h"
#include "sqlitedb.h"

class MissFillScenario final : public Scenario
{
public:
    QString name() const override { return QStringLiteral("miss-fill"); }
    QString description() const override;
    qint64 defaultN() const override { return 5000; }
    Goal goal() const override { return { GoalDirection::AtLeast, 0.70, QStringLiteral(">= 0.70") }; }

    bool setUp(const BenchContext &ctx, QString *error) override;
    Sample runBaseline(int round) override;
    Sample runCacheLab(int round) override;
    void tearDown() override;

private:
    bool flushRedis(QString *error);

    BenchContext m_ctx;
    ProductFixture m_fixture;
    RawRedis m_raw;
    SqliteDb m_sql;
    SqliteStatement m_select;
};
