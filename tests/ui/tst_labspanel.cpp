// The Labs dock driven with clicks: Step shows one step's trace and pauses,
// Run finishes with a chart, a caption from the numbers and a results table,
// Export writes a PNG and a CSV that read back, Side by side is one click.
#include "lab.h"
#include "labchartview.h"
#include "labserver.h"
#include "labspanel.h"
#include "testtime.h"

#include <QChart>
#include <QCheckBox>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

class TestLabsPanel final : public QObject
{
    Q_OBJECT

private:
    template<typename T>
    static T *find(QWidget *in, const QString &name)
    {
        T *w = in->findChild<T *>(name);
        if (!w)
            qWarning() << "no widget" << name;
        return w;
    }

private slots:
    void cleanup()
    {
        LabServer::waitForStopped(TestTime::scaled(5000));
    }

    void stepRunAndExport()
    {
        LabsPanel panel;
        panel.resize(1180, 760);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.showLab(QStringLiteral("lfu-counter"));
        LabPage *page = panel.page();
        QCOMPARE(page->lab()->name(), QStringLiteral("lfu-counter"));
        QVERIFY(!find<QLabel>(page, QStringLiteral("labDescription"))->text().isEmpty());

        auto *hits = find<QSpinBox>(page, QStringLiteral("labParam-max-hits"));
        QVERIFY(hits);
        hits->setValue(1000);
        auto *seed = find<QSpinBox>(page, QStringLiteral("labSeed"));
        seed->setValue(11);
        auto *trace = find<QListWidget>(page, QStringLiteral("labTrace"));

        // Step: one step, its line in the trace, then paused.
        QTest::mouseClick(find<QPushButton>(page, QStringLiteral("labStep")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page->lab()->state(), Lab::State::Paused, TestTime::scaled(15000));
        QCOMPARE(trace->count(), 1);
        QVERIFY2(trace->item(0)->text().contains(QStringLiteral("CONFIG SET")), qPrintable(trace->item(0)->text()));
        QCOMPARE(page->lab()->param(QStringLiteral("max-hits")), 1000.0); // the editor's value went in
        QCOMPARE(page->lab()->seed(), quint64(11));
        QVERIFY(!hits->parentWidget()->isEnabled()); // settings fixed while a run is open
        QVERIFY(!find<QPushButton>(page, QStringLiteral("labExport"))->isEnabled());

        // Run: the rest, then the chart, its caption and the table.
        QTest::mouseClick(find<QPushButton>(page, QStringLiteral("labRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page->lab()->state(), Lab::State::Finished, TestTime::scaled(30000));
        QVERIFY(trace->count() > 5);
        auto *chart = find<LabChartView>(page, QStringLiteral("labChart-counter"));
        QVERIFY(chart);
        QCOMPARE(chart->chart()->series().size(), 8); // 4 factors measured + 4 from redis.conf
        const QString caption = find<QLabel>(page, QStringLiteral("labCaption-counter"))->text();
        QVERIFY2(caption.contains(QStringLiteral("of 8 readings")), qPrintable(caption));
        auto *table = find<QTableWidget>(page, QStringLiteral("labResults"));
        QCOMPARE(table->rowCount(), 8);
        QCOMPARE(table->horizontalHeaderItem(0)->text(), QStringLiteral("factor"));
        // Factor 0 after 100 hits is exactly 104 (every hit counts).
        QCOMPARE(table->item(0, 2)->text(), QStringLiteral("104"));
        // The verdict says what the lab found (Redis's counter is random, so
        // either can be right): "matches" exactly when the lab matched.
        const QString verdict = find<QLabel>(page, QStringLiteral("labVerdict"))->text();
        QCOMPARE(verdict.contains(QStringLiteral("does NOT match")), !page->lab()->matches());
        auto *progress = find<QProgressBar>(page, QStringLiteral("labProgress"));
        QCOMPARE(progress->value(), progress->maximum());

        if (const QString shot = qEnvironmentVariable("CACHELAB_LABS_SHOT"); !shot.isEmpty())
            panel.grab().save(shot);

        // Export, through the test hook instead of a dialog.
        QTemporaryDir dir;
        page->setExportDirProvider([&dir] { return dir.path(); });
        auto *exportButton = find<QPushButton>(page, QStringLiteral("labExport"));
        QVERIFY(exportButton->isEnabled());
        QTest::mouseClick(exportButton, Qt::LeftButton);
        const QImage png(dir.filePath(QStringLiteral("lfu-counter-counter.png")));
        QVERIFY(!png.isNull());
        QFile csv(dir.filePath(QStringLiteral("lfu-counter-table.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 9);
        QCOMPARE(lines.at(1).trimmed().split(',').mid(0, 3), (QList<QByteArray> { "0", "100", "104" }));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("lfu-counter-counter.svg"))));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("lfu-counter.json"))));

        // An edit after the run counts for the next one.
        hits->setValue(2000);
        QTest::mouseClick(find<QPushButton>(page, QStringLiteral("labRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page->lab()->state(), Lab::State::Finished, TestTime::scaled(30000));
        QCOMPARE(page->lab()->param(QStringLiteral("max-hits")), 2000.0);

        // Reset empties the page again.
        QTest::mouseClick(find<QPushButton>(page, QStringLiteral("labReset")), Qt::LeftButton);
        QCOMPARE(page->lab()->state(), Lab::State::Idle);
        QCOMPARE(trace->count(), 0);
        QCOMPARE(table->rowCount(), 0);
        QVERIFY(hits->parentWidget()->isEnabled());
    }

    void sideBySideIsOneClick()
    {
        LabsPanel panel;
        panel.resize(1180, 760);
        panel.show();
        panel.showLab(QStringLiteral("miss-ratio-curve"));
        auto *alpha = find<QDoubleSpinBox>(panel.page(), QStringLiteral("labParam-alpha"));
        alpha->setValue(1.2);
        QVERIFY(!panel.secondPage());
        QTest::mouseClick(find<QPushButton>(&panel, QStringLiteral("labCompare")), Qt::LeftButton);
        QVERIFY(panel.secondPage());
        QCOMPARE(panel.secondPage()->lab()->name(), QStringLiteral("miss-ratio-curve"));
        // The copy starts with the same settings, so one change compares one thing.
        QCOMPARE(find<QDoubleSpinBox>(panel.secondPage(), QStringLiteral("labParam-alpha"))->value(), 1.2);
        // Each page runs its own lab: simulations only, two alphas.
        find<QCheckBox>(panel.page(), QStringLiteral("labParam-redis"))->setChecked(false);
        // The copy took the box as it was when Side by side opened (ticked);
        // each page's settings are its own from then on.
        auto *secondRedis = find<QCheckBox>(panel.secondPage(), QStringLiteral("labParam-redis"));
        QVERIFY(secondRedis->isChecked());
        secondRedis->setChecked(false);
        find<QDoubleSpinBox>(panel.secondPage(), QStringLiteral("labParam-alpha"))->setValue(0.6);
        QTest::mouseClick(find<QPushButton>(panel.page(), QStringLiteral("labRun")), Qt::LeftButton);
        QTest::mouseClick(find<QPushButton>(panel.secondPage(), QStringLiteral("labRun")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(panel.page()->lab()->state(), Lab::State::Finished, TestTime::scaled(30000));
        QTRY_COMPARE_WITH_TIMEOUT(panel.secondPage()->lab()->state(), Lab::State::Finished, TestTime::scaled(30000));
        // More skew, more hits at the same cache size.
        const auto hitAt10 = [](LabPage *p) {
            return p->lab()->results().value(QStringLiteral("points")).toArray().at(3).toObject().value(QStringLiteral("lru_sim")).toDouble();
        };
        QVERIFY2(hitAt10(panel.page()) > hitAt10(panel.secondPage()) + 0.1,
            qPrintable(QStringLiteral("%1 vs %2").arg(hitAt10(panel.page())).arg(hitAt10(panel.secondPage()))));
        QTest::mouseClick(find<QPushButton>(&panel, QStringLiteral("labCompare")), Qt::LeftButton);
        QVERIFY(!panel.secondPage());
    }
};

QTEST_MAIN(TestLabsPanel)
#include "tst_labspanel.moc"
