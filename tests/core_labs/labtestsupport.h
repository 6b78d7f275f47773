// What the lab tests share: run a lab to its end on a real event loop, and
// find a row of a results table.
#pragma once

#include "lab.h"
#include "testtime.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTimer>
#include <QtDebug>

namespace LabTest {

/// Runs the lab until it finishes or fails (bounded); true when it finished.
inline bool runToEnd(Lab &lab, int boundMs = 60000)
{
    QSignalSpy finished(&lab, &Lab::finished);
    QSignalSpy failed(&lab, &Lab::failed);
    // A real event loop (QTest::qWait sleeps between its turns, which would
    // add 10 ms to every round trip of the lab).
    QEventLoop loop;
    QObject::connect(&lab, &Lab::finished, &loop, &QEventLoop::quit);
    QObject::connect(&lab, &Lab::failed, &loop, &QEventLoop::quit);
    QTimer::singleShot(TestTime::scaled(boundMs), &loop, &QEventLoop::quit);
    lab.run();
    if (finished.isEmpty() && failed.isEmpty())
        loop.exec();
    if (!failed.isEmpty())
        qWarning() << "lab failed:" << failed.first().first().toString();
    return !finished.isEmpty();
}

inline QJsonObject rowWhere(const QJsonArray &rows, const QString &k1, int v1, const QString &k2, qint64 v2)
{
    for (const QJsonValue &v : rows) {
        const QJsonObject o = v.toObject();
        if (o.value(k1).toInt() == v1 && o.value(k2).toInteger() == v2)
            return o;
    }
    return {};
}

} // namespace LabTest
