// Prices in the editor are typed as the products table shows them (19.90),
// not in cents: parsed strictly (PriceText), a clear message at the field for
// bad input, nothing sent or changed then; and a validation message never
// moves the buttons below it. Offscreen, real redis-server and SQLite.
#include "backend.h"
#include "editorpanel.h"
#include "pricetext.h"
#include "productrepository.h"
#include "productservice.h"
#include "productstablemodel.h"
#include "uitestfixture.h"

#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QVBoxLayout>

using namespace UiTest;

class TestEditorPrice final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void parses_data();
    void parses();
    void tableAndEditorAgree();
    void createTakesThePriceAsShown();
    void badPriceChangesNothing_data();
    void badPriceChangesNothing();
    void messagesDoNotMoveTheButtons();
    void adjustTakesAnAmountAsShown();

private:
    template<typename T> T *widget(const char *name) { return findNamed<T>(m_editor, name); }
    std::optional<Product> stored(qint64 id);
    QList<Product> all();
    bool clickAndWait(const char *button);

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<QWidget> m_host;
    EditorPanel *m_editor = nullptr;
    qint64 m_createdId = 0;
};

std::optional<Product> TestEditorPrice::stored(qint64 id)
{
    std::optional<StoreResult> out;
    QObject ctx;
    m_backend->repository()->get(id, &ctx, [&out](const StoreResult &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, 10000);
    return out ? out->product : std::nullopt;
}

QList<Product> TestEditorPrice::all()
{
    std::optional<StoreResult> out;
    QObject ctx;
    m_backend->repository()->list(&ctx, [&out](const StoreResult &r) { out = r; });
    (void)QTest::qWaitFor([&out] { return out.has_value(); }, 10000);
    return out ? out->products : QList<Product> {};
}

bool TestEditorPrice::clickAndWait(const char *button)
{
    auto *result = widget<QLabel>("editorResult");
    QTest::mouseClick(widget<QPushButton>(button), Qt::LeftButton);
    return QTest::qWaitFor([result] { return !result->text().startsWith(QStringLiteral("Working")); }, 10000);
}

void TestEditorPrice::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QLocale::setDefault(QLocale::c()); // "." decimals, no group separators in what the table shows
    QVERIFY(m_dir.isValid());
    startServer(m_server, false);
    if (QTest::currentTestFailed())
        return;
    m_backend = makeBackend(m_server, m_dir, true);
    m_backend->start();
    waitReady(*m_backend);
    if (QTest::currentTestFailed())
        return;
    m_host = std::make_unique<QWidget>();
    auto *layout = new QVBoxLayout(m_host.get());
    m_editor = new EditorPanel(m_backend->service(), m_backend->tags(), m_host.get());
    layout->addWidget(m_editor);
    layout->addStretch(1);
    m_host->resize(420, 600);
    m_host->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_host.get()));
}

void TestEditorPrice::cleanupTestCase()
{
    m_host.reset();
    m_backend.reset();
}

void TestEditorPrice::parses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("cents"); // -1: refused
    QTest::newRow("two decimals") << QStringLiteral("19.90") << qint64(1990);
    QTest::newRow("one decimal") << QStringLiteral("19.9") << qint64(1990);
    QTest::newRow("whole") << QStringLiteral("19") << qint64(1900);
    QTest::newRow("spaces") << QStringLiteral("  7.05 ") << qint64(705);
    QTest::newRow("cents only") << QStringLiteral(".5") << qint64(50);
    QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
    QTest::newRow("large") << QStringLiteral("92233720368547758.07") << qint64(9223372036854775807LL);
    QTest::newRow("too large") << QStringLiteral("92233720368547758.08") << qint64(-1);
    QTest::newRow("three decimals") << QStringLiteral("19.999") << qint64(-1);
    QTest::newRow("negative") << QStringLiteral("-1.00") << qint64(-1);
    QTest::newRow("letters") << QStringLiteral("12a") << qint64(-1);
    QTest::newRow("two points") << QStringLiteral("1.2.3") << qint64(-1);
    QTest::newRow("empty") << QString() << qint64(-1);
    QTest::newRow("just a point") << QStringLiteral(".") << qint64(-1);
}

void TestEditorPrice::parses()
{
    QFETCH(QString, text);
    QFETCH(qint64, cents);
    QString error;
    const auto parsed = PriceText::parse(text, &error);
    if (cents < 0) {
        QVERIFY2(!parsed, qPrintable(QString::number(parsed.value_or(0))));
        QVERIFY(!error.isEmpty());
    } else {
        QVERIFY2(parsed, qPrintable(error));
        QCOMPARE(*parsed, cents);
        // What the table shows parses back to the same cents.
        QCOMPARE(PriceText::parse(PriceText::format(cents), &error), std::optional<qint64>(cents));
    }
}

void TestEditorPrice::tableAndEditorAgree()
{
    QCOMPARE(ProductsTableModel::formatPrice(1990), QStringLiteral("19.90"));
    QCOMPARE(ProductsTableModel::formatPrice(5), QStringLiteral("0.05"));
    QCOMPARE(ProductsTableModel::formatPrice(1990), PriceText::format(1990));
    // A product picked in the table fills the price as the table shows it.
    m_editor->showProduct(Product { 3, QStringLiteral("Mug"), 1250, 1, {} });
    QCOMPARE(widget<QLineEdit>("editorPrice")->text(), QStringLiteral("12.50"));
}

void TestEditorPrice::createTakesThePriceAsShown()
{
    QTest::mouseClick(widget<QPushButton>("newButton"), Qt::LeftButton);
    type(widget<QLineEdit>("editorName"), QStringLiteral("Desk lamp"));
    type(widget<QLineEdit>("editorPrice"), QStringLiteral("19.90"));
    QVERIFY(clickAndWait("createButton"));
    QVERIFY2(widget<QLabel>("editorResult")->text().contains(QStringLiteral("ok")),
        qPrintable(widget<QLabel>("editorResult")->text()));
    m_createdId = widget<QLineEdit>("editorId")->text().toLongLong();
    QVERIFY(m_createdId > 0);
    QCOMPARE(stored(m_createdId)->price, qint64(1990));
    QCOMPARE(widget<QLineEdit>("editorPrice")->text(), QStringLiteral("19.90"));
}

void TestEditorPrice::badPriceChangesNothing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("says");
    QTest::newRow("cents typed as decimals") << QStringLiteral("19.999") << QStringLiteral("two decimals");
    QTest::newRow("negative") << QStringLiteral("-5") << QStringLiteral("negative");
    QTest::newRow("letters") << QStringLiteral("ten") << QStringLiteral("not a price");
}

void TestEditorPrice::badPriceChangesNothing()
{
    QFETCH(QString, text);
    QFETCH(QString, says);
    QVERIFY(m_createdId > 0);
    const QList<Product> before = all();
    type(widget<QLineEdit>("editorId"), QString::number(m_createdId));
    type(widget<QLineEdit>("editorName"), QStringLiteral("Desk lamp, renamed"));
    type(widget<QLineEdit>("editorPrice"), text);
    auto *result = widget<QLabel>("editorResult");
    result->clear();
    QTest::mouseClick(widget<QPushButton>("saveButton"), Qt::LeftButton);
    auto *error = widget<QLabel>("priceError");
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().contains(says), qPrintable(error->text()));
    QCOMPARE(error->toolTip(), error->text()); // the whole message, also when the column is narrow
    QVERIFY(result->text().isEmpty()); // nothing was sent
    QCOMPARE(all(), before); // and nothing changed
    QCOMPARE(stored(m_createdId)->name, QStringLiteral("Desk lamp"));
}

void TestEditorPrice::messagesDoNotMoveTheButtons()
{
    auto *create = widget<QPushButton>("createButton");
    auto *invalidate = widget<QPushButton>("invalidateButton");
    QTest::mouseClick(widget<QPushButton>("newButton"), Qt::LeftButton);
    QApplication::processEvents();
    const QPoint createAt = create->mapTo(m_editor, QPoint());
    const QPoint invalidateAt = invalidate->mapTo(m_editor, QPoint());
    // Every field wrong at once, the longest messages there are.
    type(widget<QLineEdit>("editorId"), QStringLiteral("not a number"));
    type(widget<QLineEdit>("editorName"), QString());
    type(widget<QLineEdit>("editorPrice"), QStringLiteral("abc"));
    QTest::mouseClick(widget<QPushButton>("saveButton"), Qt::LeftButton);
    QVERIFY(widget<QLabel>("idError")->isVisible());
    QTest::mouseClick(create, Qt::LeftButton);
    QVERIFY(widget<QLabel>("nameError")->isVisible());
    QVERIFY(widget<QLabel>("priceError")->isVisible());
    QApplication::processEvents();
    QCOMPARE(create->mapTo(m_editor, QPoint()), createAt);
    QCOMPARE(invalidate->mapTo(m_editor, QPoint()), invalidateAt);
    // A message too long for the column is cut on screen, whole in the tooltip.
    m_host->resize(300, 600);
    QApplication::processEvents();
    auto *price = widget<QLabel>("priceError");
    QVERIFY(price->width() <= m_editor->width());
    QVERIFY(price->toolTip().contains(QStringLiteral("abc")));
}

void TestEditorPrice::adjustTakesAnAmountAsShown()
{
    QVERIFY(m_createdId > 0);
    type(widget<QLineEdit>("editorId"), QString::number(m_createdId));
    auto *delta = widget<QDoubleSpinBox>("adjustDelta");
    QVERIFY(delta);
    QCOMPARE(delta->decimals(), 2);
    type(delta, QStringLiteral("0.25"));
    QTest::mouseClick(widget<QPushButton>("adjustButton"), Qt::LeftButton);
    auto *result = widget<QLabel>("adjustResult");
    QTRY_VERIFY_WITH_TIMEOUT(result->text().contains(QStringLiteral("done")), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stored(m_createdId)->price, qint64(2015), 10000);
    QCOMPARE(widget<QLineEdit>("editorPrice")->text(), QStringLiteral("20.15"));
    QVERIFY2(result->text().contains(QStringLiteral("+0.25")), qPrintable(result->text()));
}

QTEST_MAIN(TestEditorPrice)
#include "tst_editorprice.moc"
