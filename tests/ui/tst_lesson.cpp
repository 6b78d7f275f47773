// The README's "A first lesson", step by step, on the real window: every
// step is done with the widgets the README names (typed ids, buttons, the
// strategy shortcuts, the spin boxes) and every claim the README makes is
// checked where a teacher would read it (the trace list and diagram, the
// key browser, the Events panel, the status bar, the Metrics summary).
// Offscreen, a real redis-server with keyspace events, a temporary SQLite
// file; every wait is bounded and waits on a condition.
#include "backend.h"
#include "cachekeys.h"
#include "editorpanel.h"
#include "eventlogmodel.h"
#include "eventspanel.h"
#include "keybrowserpanel.h"
#include "infopoller.h"
#include "keyspacewatcher.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "productservice.h"
#include "productspanel.h"
#include "productstablemodel.h"
#include "testredisserver.h"
#include "tracediagram.h"
#include "tracelistmodel.h"
#include "tracepanel.h"
#include "uitestfixture.h"
#include "windowfixture.h"
#include "writebehindqueue.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace UiTest;

class TestLesson final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void step1CacheAsideMissThenHit();
    void traceFollowsTheNewestOperationUnlessPinned();
    void step2TtlExpiry();
    void step3WriteThrough();
    void step4WriteBehindRisesCoalescesAndDrains();
    void step5Eviction();

private:
    template<typename T> T *widget(const char *name) { return findNamed<T>(m_window.get(), name); }
    /// Types the id into the Editor and presses the button; waits for the result line.
    bool press(const char *button, qint64 id);
    /// The newest trace of this operation and product in the trace list
    /// (any product when id is 0).
    std::optional<OperationTrace> newest(const QString &operation, qint64 id) const;
    void setSpin(const char *name, int value);
    void resetLesson();
    /// "used <b>1,234 kB</b>" in the Metrics summary, in kB (-1 before the first sample).
    qint64 usedKb() const;
    qint64 evictedShown() const;

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

void TestLesson::initTestCase()
{
    openWindow(m_server, m_dir, m_backend, m_window);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_backend->service()->strategy(), StrategyKind::CacheAside);
}

void TestLesson::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

bool TestLesson::press(const char *button, qint64 id)
{
    auto *result = widget<QLabel>("editorResult");
    auto *b = widget<QPushButton>(button);
    auto *idField = widget<QLineEdit>("editorId");
    if (!result || !b || !idField)
        return false;
    type(idField, QString::number(id));
    result->clear();
    QTest::mouseClick(b, Qt::LeftButton);
    return QTest::qWaitFor(
        [result] { return !result->text().isEmpty() && !result->text().startsWith(QStringLiteral("Working")); },
        10000);
}

std::optional<OperationTrace> TestLesson::newest(const QString &operation, qint64 id) const
{
    const TraceListModel *m = m_window->tracePanel()->model();
    std::optional<OperationTrace> best;
    for (int row = 0; row < m->rowCount(); ++row) {
        const OperationTrace &t = m->traceAt(row);
        if (t.operation == operation && (id == 0 || t.productId == id) && (!best || t.id > best->id))
            best = t;
    }
    return best;
}

void TestLesson::setSpin(const char *name, int value)
{
    auto *spin = widget<QSpinBox>(name);
    QVERIFY(spin);
    spin->setValue(value);
    QCOMPARE(spin->value(), value);
}

void TestLesson::resetLesson()
{
    auto *reset = m_window->findChild<QAction *>(QStringLiteral("resetLessonSettings"));
    QVERIFY(reset);
    reset->trigger();
    ProductService *s = m_backend->service();
    QTRY_COMPARE(s->strategy(), StrategyKind::CacheAside);
    QCOMPARE(s->settings().ttlSeconds, CacheSettings().ttlSeconds);
    QCOMPARE(s->artificialDbLatency(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_server.syncList({ "CONFIG", "GET", "maxmemory" }).value(1), QByteArray("0"), 5000);
}

// The number after `label` in the Metrics summary ("used <b>1,752 kB</b>",
// "evicted <b>3</b>"), group separators dropped; -1 when not shown yet.
static qint64 summaryFigure(const QLabel *summary, const QString &label)
{
    const auto match = QRegularExpression(label + QStringLiteral(" <b>([0-9.,\\s\\x{a0}]+)")).match(summary->text());
    if (!match.hasMatch())
        return -1;
    QString digits = match.captured(1);
    digits.remove(QRegularExpression(QStringLiteral("[^0-9]")));
    return digits.toLongLong();
}

qint64 TestLesson::usedKb() const
{
    return summaryFigure(findNamed<QLabel>(m_window.get(), "metricsSummary"), QStringLiteral("used"));
}

qint64 TestLesson::evictedShown() const
{
    return summaryFigure(findNamed<QLabel>(m_window.get(), "metricsSummary"), QStringLiteral("evicted"));
}

// 1. Get: HGETALL → miss, SELECT, fill; Get again: one step, hit. With 500 ms
//    of DB latency a miss takes that long and a hit does not.
void TestLesson::step1CacheAsideMissThenHit()
{
    QVERIFY(press("getButton", 3));
    const auto miss = newest(QStringLiteral("get"), 3);
    QVERIFY(miss);
    QCOMPARE(miss->outcome, TraceOutcome::Miss);
    QVERIFY2(miss->steps.size() >= 3, qPrintable(miss->toText()));
    const auto redis = miss->stepsOf(TraceSystem::Redis);
    QVERIFY(redis.first().text.startsWith(QStringLiteral("HGETALL product:3")));
    QCOMPARE(redis.first().outcome, TraceOutcome::Miss);
    QCOMPARE(miss->stepsOf(TraceSystem::Sql).size(), 1);
    QVERIFY(miss->stepsOf(TraceSystem::Sql).first().text.contains(QStringLiteral("SELECT")));
    QVERIFY(miss->hasStep(TraceSystem::Redis, TraceOutcome::Fill));
    // The order the README gives: lookup, then SQL, then the fill.
    int lookup = -1, select = -1, fill = -1;
    for (int i = 0; i < miss->steps.size(); ++i) {
        const TraceStep &s = miss->steps.at(i);
        if (lookup < 0 && s.system == TraceSystem::Redis)
            lookup = i;
        if (select < 0 && s.system == TraceSystem::Sql)
            select = i;
        if (s.outcome == TraceOutcome::Fill)
            fill = i;
    }
    QVERIFY(lookup < select && select < fill);
    // The diagram shows the get, not the tags read that follows it.
    QTRY_COMPARE(m_window->tracePanel()->diagram()->trace().id, miss->id);

    QVERIFY(press("getButton", 3));
    const auto hit = newest(QStringLiteral("get"), 3);
    QVERIFY(hit && hit->id > miss->id);
    QCOMPARE(hit->outcome, TraceOutcome::Hit);
    QCOMPARE(hit->count(TraceSystem::Sql), 0);
    QCOMPARE(hit->stepsOf(TraceSystem::Redis).first().outcome, TraceOutcome::Hit);
    QCOMPARE(m_window->tracePanel()->diagram()->trace().id, hit->id);

    setSpin("latencySpin", 500);
    QTRY_COMPARE(m_backend->service()->artificialDbLatency(), 500);
    QVERIFY(press("getButton", 4));
    const auto slow = newest(QStringLiteral("get"), 4);
    QVERIFY(slow);
    QCOMPARE(slow->outcome, TraceOutcome::Miss);
    QVERIFY2(slow->totalMicros >= 500000, qPrintable(QString::number(slow->totalMicros)));
    QVERIFY(press("getButton", 4));
    const auto fast = newest(QStringLiteral("get"), 4);
    QCOMPARE(fast->outcome, TraceOutcome::Hit);
    QVERIFY(fast->totalMicros < 500000);
}

// The trace list is in start order, a get's tags read is nested under it,
// and the diagram follows each new get unless pinned.
void TestLesson::traceFollowsTheNewestOperationUnlessPinned()
{
    setSpin("latencySpin", 0);
    QVERIFY(press("getButton", 5));
    const auto get = newest(QStringLiteral("get"), 5);
    QVERIFY(get);
    TracePanel *panel = m_window->tracePanel();
    QTRY_VERIFY(newest(QStringLiteral("tags-of"), 5).has_value());
    const auto tags = newest(QStringLiteral("tags-of"), 5);
    QCOMPARE(tags->causedBy, get->id);
    const int getRow = panel->model()->rowOfId(get->id);
    QCOMPARE(panel->model()->rowOfId(tags->id), getRow + 1);
    QCOMPARE(panel->diagram()->trace().id, get->id);
    // Rows are newest first by start.
    for (int row = 1; row < panel->model()->rowCount(); ++row) {
        const OperationTrace &above = panel->model()->traceAt(row - 1);
        const OperationTrace &below = panel->model()->traceAt(row);
        if (above.causedBy == 0 && below.causedBy == 0)
            QVERIFY(above.started >= below.started);
    }

    // Clicking an older row shows it; the next get takes the diagram back.
    const QModelIndex older = panel->model()->index(getRow + 2, TraceListModel::OperationColumn);
    QVERIFY(older.isValid());
    panel->view()->setCurrentIndex(older);
    QCOMPARE(panel->diagram()->trace().id, panel->model()->traceAt(getRow + 2).id);
    QVERIFY(press("getButton", 6));
    const auto next = newest(QStringLiteral("get"), 6);
    QVERIFY(next);
    QTRY_COMPARE(panel->diagram()->trace().id, next->id);

    // Pinned, it stays.
    auto *pin = widget<QToolButton>("tracePin");
    QVERIFY(pin && pin->isVisible());
    QTest::mouseClick(pin, Qt::LeftButton);
    QVERIFY(panel->isPinned());
    QVERIFY(press("getButton", 7));
    QVERIFY(newest(QStringLiteral("get"), 7).has_value());
    QCOMPARE(panel->diagram()->trace().id, next->id);
    QTest::mouseClick(pin, Qt::LeftButton);
    QVERIFY(!panel->isPinned());
}

// 2. TTL 5 s, Get another product: its key is in the browser, expires, and
//    an "expired" event arrives; the next Get misses again.
void TestLesson::step2TtlExpiry()
{
    setSpin("ttlSpin", 5);
    QTRY_COMPARE(m_backend->service()->settings().ttlSeconds, 5);
    KeyBrowserPanel *keys = m_window->keyBrowserPanel();
    QVERIFY(press("getButton", 8));
    const auto get = newest(QStringLiteral("get"), 8);
    QVERIFY(get.has_value());
    QCOMPARE(get->outcome, TraceOutcome::Miss);
    const QByteArray key = CacheKeys().product(8);
    // The key appears and is scrolled into view (new keys land at the end
    // of the table), its TTL once the browser's PTTL answer is in.
    const auto shown = [keys, key] {
        const int row = keys->model()->rowOfKey(key);
        const QTableView *view = keys->view();
        return row >= 0
            && view->viewport()->rect().intersects(
                view->visualRect(keys->model()->index(row, KeyTableModel::KeyColumn)));
    };
    const auto where = [keys, key] {
        const int row = keys->model()->rowOfKey(key);
        const QTableView *view = keys->view();
        const QRect r = view->visualRect(keys->model()->index(row, KeyTableModel::KeyColumn));
        return QStringLiteral("row %1 of %2, at y %3 in a %4 px viewport, current %5")
            .arg(row)
            .arg(keys->model()->rowCount())
            .arg(r.y())
            .arg(view->viewport()->height())
            .arg(view->currentIndex().row());
    };
    QTRY_VERIFY2_WITH_TIMEOUT(shown(), qPrintable(where()), 5000);
    const auto left = [keys, key] {
        const int row = keys->model()->rowOfKey(key);
        return row < 0 ? qint64(-1) : keys->model()->remainingMs(row);
    };
    QTRY_VERIFY2_WITH_TIMEOUT(left() > 0, qPrintable(QStringLiteral("%1 (PTTL %2)").arg(left()).arg(m_server.syncInteger({ "PTTL", key }))), 5000);
    QVERIFY2(left() <= 5000, qPrintable(QString::number(left())));
    EventLogModel *events = m_window->eventsPanel()->model();
    const auto sawExpired = [events, key] {
        for (int row = 0; row < events->rowCount(); ++row) {
            const KeyspaceEvent &e = events->eventAt(row);
            if (e.key == key && e.event == QLatin1String("expired"))
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(sawExpired(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(keys->model()->rowOfKey(key) < 0, 10000);
    QVERIFY(press("getButton", 8));
    QCOMPARE(newest(QStringLiteral("get"), 8)->outcome, TraceOutcome::Miss);
    // "Reset lesson settings" before the next step, as the README says.
    resetLesson();
}

// 3. Write-through: the UPDATE commits first, then the cache is set, both
//    before the save answers; the row and the hash agree.
void TestLesson::step3WriteThrough()
{
    QTest::keyClick(m_window.get(), Qt::Key_4, Qt::ControlModifier);
    QTRY_COMPARE(m_backend->service()->strategy(), StrategyKind::WriteThrough);
    QVERIFY(press("getButton", 2));
    type(widget<QLineEdit>("editorPrice"), widget<QLineEdit>("editorPrice")->text() == QStringLiteral("777.00")
            ? QStringLiteral("778.00")
            : QStringLiteral("777.00"));
    const QString price = widget<QLineEdit>("editorPrice")->text();
    QVERIFY(press("saveButton", 2));
    const auto saved = newest(QStringLiteral("update"), 2);
    QVERIFY(saved);
    QCOMPARE(saved->outcome, TraceOutcome::Ok);
    int commit = -1, set = -1;
    for (int i = 0; i < saved->steps.size(); ++i) {
        const TraceStep &s = saved->steps.at(i);
        if (commit < 0 && s.system == TraceSystem::Sql && s.text.contains(QStringLiteral("UPDATE")))
            commit = i;
        if (s.system == TraceSystem::Redis && s.outcome == TraceOutcome::Fill)
            set = i;
    }
    QVERIFY2(commit >= 0 && set > commit, qPrintable(saved->toText()));
    // The Products row and the key's hash agree at once.
    QVERIFY(saved->stepsOf(TraceSystem::Sql).size() >= 1);
    const auto hash = m_server.syncList({ "HGETALL", "product:2" });
    QMap<QByteArray, QByteArray> fields;
    for (int i = 0; i + 1 < hash.size(); i += 2)
        fields.insert(hash.at(i), hash.at(i + 1));
    QVERIFY(!fields.isEmpty());
    QTRY_COMPARE(QString::number(m_window->productsPanel()->model()->product(2)->version),
        QString::fromLatin1(fields.value("version")));
    QCOMPARE(QString::number(m_window->productsPanel()->model()->product(2)->price),
        QString::fromLatin1(fields.value("price")));
    QVERIFY(!price.isEmpty());
}

// 4. Write-behind: saves answer from Redis, the queue rises to two or more,
//    a second save of a waiting product says "coalesced" (trace and
//    outcome column), and the worker drains the queue into SQLite.
void TestLesson::step4WriteBehindRisesCoalescesAndDrains()
{
    ProductService *service = m_backend->service();
    QTest::keyClick(m_window.get(), Qt::Key_5, Qt::ControlModifier);
    QTRY_COMPARE(service->strategy(), StrategyKind::WriteBehind);
    int maxDepth = 0;
    connect(service, &ProductService::queueDepthChanged, this,
        [&maxDepth](int depth) { maxDepth = std::max(maxDepth, depth); });
    // The README: press Hold writes in the status bar first (the worker
    // flushes a second after a save, before a person has saved a second one).
    auto *hold = widget<QToolButton>("holdWriteBehindButton");
    QVERIFY(hold && hold->isVisible());
    QCOMPARE(hold->text(), QStringLiteral("Hold writes"));
    QTest::mouseClick(hold, Qt::LeftButton);
    QVERIFY(service->writeBehindQueue()->isPaused());
    QTRY_VERIFY(widget<QLabel>("statusQueue")->text().contains(QStringLiteral("(held)")));
    for (qint64 id : { 9, 10, 9 }) {
        QVERIFY(press("getButton", id));
        type(widget<QLineEdit>("editorName"), QStringLiteral("Written behind %1").arg(id));
        QVERIFY(press("saveButton", id));
        QVERIFY2(widget<QLabel>("editorResult")->text().contains(QStringLiteral("ok"))
                || widget<QLabel>("editorResult")->text().contains(QStringLiteral("queued"))
                || widget<QLabel>("editorResult")->text().contains(QStringLiteral("coalesced")),
            qPrintable(widget<QLabel>("editorResult")->text()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(maxDepth >= 2, 5000);
    QTRY_VERIFY(widget<QLabel>("statusQueue")->text().contains(QStringLiteral("<b>2</b>")));
    QTRY_VERIFY(findNamed<QLabel>(m_window.get(), "metricsSummary")->text().contains(QStringLiteral("queue <b>2</b>")));
    const auto second = newest(QStringLiteral("update"), 9);
    QVERIFY(second);
    QCOMPARE(second->outcome, TraceOutcome::Coalesced);
    TraceListModel *list = m_window->tracePanel()->model();
    const int row = list->rowOfId(second->id);
    QCOMPARE(list->index(row, TraceListModel::OutcomeColumn).data().toString(), traceOutcomeName(TraceOutcome::Coalesced));
    // SQLite has not been touched yet.
    QVERIFY(m_window->productsPanel()->model()->product(9)->name != QStringLiteral("Written behind 9"));

    // Held, nothing drains however long the lesson talks.
    QTest::qWait(1500); // longer than the worker's one-second interval
    QCOMPARE(service->queueDepth(), 2);
    QTest::mouseClick(hold, Qt::LeftButton); // release
    QVERIFY(!service->writeBehindQueue()->isPaused());
    QTRY_COMPARE_WITH_TIMEOUT(service->queueDepth(), 0, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(
        m_window->productsPanel()->model()->product(9)->name, QStringLiteral("Written behind 9"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(
        m_window->productsPanel()->model()->product(10)->name, QStringLiteral("Written behind 10"), 10000);
    QTRY_VERIFY(widget<QLabel>("statusQueue")->text().contains(QStringLiteral("<b>0</b>")));
    disconnect(service, &ProductService::queueDepthChanged, this, nullptr);
    resetLesson();
}

// 5. Eviction: 500 sample products, a limit 32 kB above the used memory
//    (in kB, as the Metrics panel shows it) with volatile-lru, then Warm Up:
//    Redis evicts cached products ("evicted" events, the Metrics count
//    rises) and never CacheLab's own keys, which have no TTL.
void TestLesson::step5Eviction()
{
    ProductsPanel *products = m_window->productsPanel();
    const int before = products->model()->rowCount();
    auto *add = m_window->findChild<QAction *>(QStringLiteral("actionAddSampleProducts"));
    QVERIFY(add);
    add->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(products->model()->rowCount(), before + MainWindow::SampleProductCount, 60000);
    // Every one went through the service as a traced create.
    QTRY_VERIFY(newest(QStringLiteral("create"), 0).has_value());

    // A fresh figure, as a teacher reads it after the adding is done.
    QSignalSpy sampled(m_backend->infoPoller(), &InfoPoller::updated);
    QVERIFY(sampled.wait(5000));
    QVERIFY(sampled.wait(5000));
    const qint64 used = usedKb();
    QVERIFY(used > 0);
    const qint64 evictedBefore = evictedShown();
    QVERIFY(evictedBefore >= 0);
    const int limitKb = int(used + 32);
    setSpin("maxMemorySpin", limitKb);
    auto *policy = widget<QComboBox>("evictionPolicyCombo");
    policy->setCurrentText(QStringLiteral("volatile-lru"));
    QCOMPARE(policy->currentText(), QStringLiteral("volatile-lru"));
    QTest::mouseClick(widget<QPushButton>("applyEvictionButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(
        m_server.syncList({ "CONFIG", "GET", "maxmemory-policy" }).value(1), QByteArray("volatile-lru"), 5000);
    QCOMPARE(m_server.syncList({ "CONFIG", "GET", "maxmemory" }).value(1).toLongLong(), qint64(limitKb) * 1024);

    EventLogModel *events = m_window->eventsPanel()->model();
    const auto evictedEvents = [events] {
        int n = 0;
        for (int row = 0; row < events->rowCount(); ++row)
            n += events->eventAt(row).event == QLatin1String("evicted") ? 1 : 0;
        return n;
    };
    QCOMPARE(evictedEvents(), 0);
    auto *warm = m_window->findChild<QAction *>(QStringLiteral("actionWarmUp"));
    QVERIFY(warm);
    warm->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(evictedEvents() > 0, 30000);
    // What went had a TTL: cached reads (products, their tags) and the
    // short-lived fill guards; the bookkeeping stays.
    for (int row = 0; row < events->rowCount(); ++row) {
        const KeyspaceEvent &e = events->eventAt(row);
        if (e.event == QLatin1String("evicted"))
            QVERIFY2(e.key.startsWith("product:") || e.key.startsWith("cachelab:tags:")
                    || e.key.startsWith("cachelab:guard:"),
                e.key.constData());
    }
    QCOMPARE(m_server.syncInteger({ "EXISTS", "cachelab:changes" }), 1);
    QCOMPARE(m_server.syncInteger({ "EXISTS", "cachelab:wb:versions" }), 1);
    QCOMPARE(m_server.syncInteger({ "EXISTS", "cachelab:wb:nextid" }), 1);
    QTRY_VERIFY_WITH_TIMEOUT(evictedShown() > evictedBefore, 10000);
    // Redis stays under its limit and the cache still answers: a Get of the
    // first sample product (long evicted or never kept) works.
    qint64 first = 0;
    for (const Product &p : products->model()->products())
        if (p.name.endsWith(QStringLiteral(", sample 1")))
            first = p.id;
    QVERIFY(first > 0);
    QVERIFY(press("getButton", first));
    const auto got = newest(QStringLiteral("get"), first);
    QVERIFY(got);
    QVERIFY2(got->outcome == TraceOutcome::Hit || got->outcome == TraceOutcome::Miss, qPrintable(got->toText()));
    resetLesson();
}

QTEST_MAIN(TestLesson)
#include "tst_lesson.moc"
