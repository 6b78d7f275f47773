// Drives the editor's tags field, tag chips, tag combo and adjust-price
// control, and the search panel, as a person would (offscreen), on a real
// Backend: a real redis-server and a temporary SQLite file with the demo
// products. Every wait is a QTRY_* or a bounded qWaitFor.
#include "backend.h"
#include "editorpanel.h"
#include "existencefilter.h"
#include "pricetext.h"
#include "productrepository.h"
#include "productsearch.h"
#include "producttags.h"
#include "redisclient.h"
#include "searchpanel.h"
#include "testredisserver.h"
#include "uitestfixture.h"

#include <optional>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QVBoxLayout>

using namespace UiTest;

class TestCatalogPanels final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void tagsFieldSavesAndShowsChips();
    void invalidTagsShowInlineErrorAndChangeNothing();
    void chipAndComboListTaggedProducts();
    void adjustPriceReportsRetries();
    void searchAsYouTypeThenFromCache();
    void searchFollowsARename();
    void hostileSearchTextIsHandled();

private:
    template<typename T> T *widget(const char *name) { return findNamed<T>(m_host.get(), name); }
    QStringList storedTags(qint64 id);
    std::optional<Product> storedProduct(qint64 id);

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<QWidget> m_host;
    EditorPanel *m_editor = nullptr;
    SearchPanel *m_search = nullptr;
};

QStringList TestCatalogPanels::storedTags(qint64 id)
{
    std::optional<StoreResult> out;
    QObject ctx;
    m_backend->repository()->tagsOf(id, &ctx, [&out](const StoreResult &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, 10000);
    return out ? out->tags : QStringList { QStringLiteral("<timeout>") };
}

std::optional<Product> TestCatalogPanels::storedProduct(qint64 id)
{
    std::optional<StoreResult> out;
    QObject ctx;
    m_backend->repository()->get(id, &ctx, [&out](const StoreResult &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, 10000);
    return out ? out->product : std::nullopt;
}

void TestCatalogPanels::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    startServer(m_server, false);
    if (QTest::currentTestFailed())
        return;
    m_backend = makeBackend(m_server, m_dir, true);
    m_backend->start();
    waitReady(*m_backend);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(m_backend->tags());
    QVERIFY(m_backend->search());
    // The Bloom filter stays on: the demo products must be reachable through it.
    QVERIFY(m_backend->existenceFilter());

    m_host = std::make_unique<QWidget>();
    auto *layout = new QVBoxLayout(m_host.get());
    m_editor = new EditorPanel(m_backend->service(), m_backend->tags(), m_host.get());
    m_search = new SearchPanel(m_backend->search(), m_host.get());
    layout->addWidget(m_editor);
    layout->addWidget(m_search);
    m_host->resize(600, 900);
    m_host->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_host.get()));
}

void TestCatalogPanels::cleanupTestCase()
{
    m_host.reset();
    m_backend.reset();
}

void TestCatalogPanels::tagsFieldSavesAndShowsChips()
{
    type(widget<QLineEdit>("editorId"), QStringLiteral("1"));
    type(widget<QLineEdit>("editorTags"), QStringLiteral(" Coffee, machines ,"));
    QTest::mouseClick(widget<QPushButton>("saveTagsButton"), Qt::LeftButton);
    auto *result = widget<QLabel>("editorResult");
    QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Tags saved")), 10000);
    QCOMPARE(storedTags(1), (QStringList { QStringLiteral("coffee"), QStringLiteral("machines") }));
    QCOMPARE(widget<QLineEdit>("editorTags")->text(), QStringLiteral("coffee, machines"));
    QVERIFY(widget<QPushButton>("tagChip_coffee"));
    QVERIFY(widget<QPushButton>("tagChip_machines"));
    QVERIFY(widget<QLabel>("tagsError")->isHidden());

    // The combo of all tags follows.
    auto *combo = widget<QComboBox>("allTagsCombo");
    QTRY_COMPARE_WITH_TIMEOUT(combo->count(), 2, 10000);
    QCOMPARE(combo->itemData(0).toString(), QStringLiteral("coffee"));
    QCOMPARE(combo->itemText(0), QStringLiteral("coffee (1)"));
}

void TestCatalogPanels::invalidTagsShowInlineErrorAndChangeNothing()
{
    type(widget<QLineEdit>("editorId"), QStringLiteral("1"));
    type(widget<QLineEdit>("editorTags"), QStringLiteral("coffee, not ok!"));
    QTest::mouseClick(widget<QPushButton>("saveTagsButton"), Qt::LeftButton);
    auto *error = widget<QLabel>("tagsError");
    QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 5000);
    QVERIFY2(error->text().contains(QStringLiteral("may contain only")), qPrintable(error->text()));
    QCOMPARE(storedTags(1), (QStringList { QStringLiteral("coffee"), QStringLiteral("machines") }));
    // Typing clears the error.
    QTest::keyClick(widget<QLineEdit>("editorTags"), Qt::Key_Backspace);
    QVERIFY(error->isHidden());

    // An id that does not exist is reported at the id field.
    type(widget<QLineEdit>("editorId"), QStringLiteral("9999"));
    type(widget<QLineEdit>("editorTags"), QStringLiteral("coffee"));
    QTest::mouseClick(widget<QPushButton>("saveTagsButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(widget<QLabel>("idError")->isVisible(), 10000);
}

void TestCatalogPanels::chipAndComboListTaggedProducts()
{
    // Product 2 joins "coffee" through the editor too.
    type(widget<QLineEdit>("editorId"), QStringLiteral("2"));
    type(widget<QLineEdit>("editorTags"), QStringLiteral("coffee"));
    QTest::keyClick(widget<QLineEdit>("editorTags"), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(storedTags(2), QStringList { QStringLiteral("coffee") }, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(widget<QPushButton>("tagChip_coffee"), 10000);

    auto *label = widget<QLabel>("taggedLabel");
    auto *list = widget<QListWidget>("taggedProducts");
    QTest::mouseClick(widget<QPushButton>("tagChip_coffee"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(label->text().startsWith(QStringLiteral("Tagged \"coffee\"")), 10000);
    QCOMPARE(list->count(), 2);
    QVERIFY(list->item(0)->text().contains(QStringLiteral("Espresso machine")));
    QVERIFY(list->item(1)->text().contains(QStringLiteral("Burr coffee grinder")));
    QVERIFY2(label->text().contains(QStringLiteral("SQLite (miss)")), qPrintable(label->text()));

    // The same tag picked from the combo now comes from Redis.
    auto *combo = widget<QComboBox>("allTagsCombo");
    QTRY_COMPARE_WITH_TIMEOUT(combo->itemText(0), QStringLiteral("coffee (2)"), 10000);
    label->clear();
    combo->setFocus();
    combo->setCurrentIndex(-1);
    QTest::keyClick(combo, Qt::Key_Down); // activates the first entry
    QTRY_VERIFY_WITH_TIMEOUT(label->text().startsWith(QStringLiteral("Tagged \"coffee\"")), 10000);
    QVERIFY2(label->text().contains(QStringLiteral("Redis (hit)")), qPrintable(label->text()));
    QCOMPARE(list->count(), 2);

    // Activating a product (Enter, or a double-click) loads it into the editor.
    list->setFocus();
    list->setCurrentRow(1);
    QTest::keyClick(list, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(widget<QLineEdit>("editorName")->text(), QStringLiteral("Burr coffee grinder"), 10000);
}

void TestCatalogPanels::adjustPriceReportsRetries()
{
    const std::optional<Product> before = storedProduct(3);
    QVERIFY(before);
    type(widget<QLineEdit>("editorId"), QStringLiteral("3"));
    auto *delta = widget<QDoubleSpinBox>("adjustDelta"); // an amount as prices are shown
    type(delta, QStringLiteral("0.25"));
    QCOMPARE(delta->value(), 0.25);
    QTest::mouseClick(widget<QPushButton>("adjustButton"), Qt::LeftButton);
    auto *result = widget<QLabel>("adjustResult");
    QTRY_VERIFY_WITH_TIMEOUT(
        !result->text().isEmpty() && !result->text().startsWith(QStringLiteral("Adjusting")), 10000);
    QVERIFY2(result->text().contains(QStringLiteral("done after 0 retries")), qPrintable(result->text()));
    QTRY_COMPARE_WITH_TIMEOUT(storedProduct(3)->price, before->price + 25, 10000);
    QCOMPARE(widget<QLineEdit>("editorPrice")->text(), PriceText::format(before->price + 25));

    // Below zero is refused with the service's message, nothing changed.
    type(delta, QStringLiteral("-9999999"));
    QTest::mouseClick(widget<QPushButton>("adjustButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(result->text().contains(QStringLiteral("failed")), 10000);
    QCOMPARE(storedProduct(3)->price, before->price + 25);
}

void TestCatalogPanels::searchAsYouTypeThenFromCache()
{
    auto *box = widget<QLineEdit>("searchBox");
    auto *results = widget<QListWidget>("searchResults");
    auto *status = widget<QLabel>("searchStatus");
    QVERIFY2(widget<QLabel>("searchEngine")->text().contains(QStringLiteral("SQLite FTS5")),
        qPrintable(widget<QLabel>("searchEngine")->text()));
    type(box, QStringLiteral("coff"));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("result")), 10000);
    QCOMPARE(results->count(), 1);
    QVERIFY(results->item(0)->text().contains(QStringLiteral("Burr coffee grinder")));
    QVERIFY2(status->text().contains(QStringLiteral("(miss)")), qPrintable(status->text()));

    status->clear();
    type(box, QStringLiteral("COFF "));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("result")), 10000);
    QVERIFY2(status->text().contains(QStringLiteral("result cache (hit)")), qPrintable(status->text()));
    QCOMPARE(results->count(), 1);

    // Activating a result says which product.
    QSignalSpy activated(m_search, &SearchPanel::productActivated);
    results->setFocus();
    results->setCurrentRow(0);
    QTest::keyClick(results, Qt::Key_Return);
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().first().toLongLong(), qint64(2));
}

void TestCatalogPanels::searchFollowsARename()
{
    auto *box = widget<QLineEdit>("searchBox");
    auto *results = widget<QListWidget>("searchResults");
    auto *status = widget<QLabel>("searchStatus");
    type(widget<QLineEdit>("editorId"), QStringLiteral("11"));
    type(widget<QLineEdit>("editorName"), QStringLiteral("Coffee descaler"));
    type(widget<QLineEdit>("editorPrice"), QStringLiteral("990"));
    QTest::mouseClick(widget<QPushButton>("saveButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(storedProduct(11)->name, QStringLiteral("Coffee descaler"), 10000);

    status->clear();
    type(box, QStringLiteral("coff"));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("result")), 10000);
    QCOMPARE(results->count(), 2);
    QVERIFY2(status->text().contains(QStringLiteral("(miss)")), qPrintable(status->text()));
}

void TestCatalogPanels::hostileSearchTextIsHandled()
{
    auto *box = widget<QLineEdit>("searchBox");
    auto *status = widget<QLabel>("searchStatus");
    status->clear();
    type(box, QStringLiteral("\"NEAR( OR *"));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("0 result")), 10000);
    status->clear();
    box->setText(QString(250, QLatin1Char('x')));
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("too long")), 10000);
    QCOMPARE(widget<QListWidget>("searchResults")->count(), 0);
}

QTEST_MAIN(TestCatalogPanels)
#include "tst_catalogpanels.moc"
