// The window's keyboard shortcuts: every key sequence has one owner (no
// "Ambiguous shortcut overload"), F5 rescans the keys, the standard keys do
// what the Edit menu says, Delete asks before it deletes a key, the Help
// dialog lists what really exists, status messages show no mnemonics, and
// no two entries of a menu (nor a menu title and a button) share an Alt+letter.
// Offscreen, real redis-server, real window; waits are QTRY_* and signal spies.
#include "actiontext.h"
#include "editactions.h"
#include "keybrowserpanel.h"
#include "keyscanner.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "productservice.h"
#include "shortcutsdialog.h"
#include "tracediagram.h"
#include "tracepanel.h"
#include "uitestfixture.h"
#include "windowfixture.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace UiTest;

class TestShortcuts final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void withoutMnemonics_data();
    void withoutMnemonics();
    void noTwoActionsShareAShortcut();
    void mnemonicsAreUniqueWhereTheyCompete();
    void standardKeysHaveOneOwnerEach();
    void f5TriggersARescan();
    void findFocusesTheKeyFilter();
    void copyTakesWhatHasTheFocus();
    void deleteAsksFirstThenDeletes();
    void shortcutsDialogListsEveryShortcut();
    void statusMessagesShowNoMnemonics();

private:
    /// Every (key sequence, owner name) of the window's actions and buttons
    /// with shortcuts of their own, walked here independently of the dialog.
    QList<QPair<QKeySequence, QString>> allShortcuts() const;
    bool selectKey(const QByteArray &key);

    TestRedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

void TestShortcuts::initTestCase()
{
    openWindow(m_server, m_dir, m_backend, m_window);
    if (QTest::currentTestFailed())
        return;
    QTRY_VERIFY_WITH_TIMEOUT(m_window->keyBrowserPanel() != nullptr, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->keyBrowserPanel()->scanner()->isConnected(), 10000);
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
}

void TestShortcuts::cleanupTestCase()
{
    m_window.reset();
    m_backend.reset();
}

void TestShortcuts::init()
{
    // A shortcut claimed twice makes Qt print this and do nothing.
    QTest::failOnWarning(QRegularExpression(QStringLiteral("Ambiguous shortcut")));
}

void TestShortcuts::withoutMnemonics_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("plain");
    QTest::newRow("leading") << QStringLiteral("&Warm Up Cache") << QStringLiteral("Warm Up Cache");
    QTest::newRow("inner") << QStringLiteral("Re&scan Keys") << QStringLiteral("Rescan Keys");
    QTest::newRow("literal ampersand") << QStringLiteral("R&&D &Lab") << QStringLiteral("R&D Lab");
    QTest::newRow("ellipsis") << QStringLiteral("&Connect to Redis…") << QStringLiteral("Connect to Redis");
    QTest::newRow("three dots") << QStringLiteral("Save &As...") << QStringLiteral("Save As");
    QTest::newRow("plain") << QStringLiteral("cache-aside") << QStringLiteral("cache-aside");
    QTest::newRow("trailing ampersand") << QStringLiteral("A&") << QStringLiteral("A");
}

void TestShortcuts::withoutMnemonics()
{
    QFETCH(QString, text);
    QFETCH(QString, plain);
    QCOMPARE(::withoutMnemonics(text), plain);
}

QList<QPair<QKeySequence, QString>> TestShortcuts::allShortcuts() const
{
    QList<QPair<QKeySequence, QString>> out;
    for (QAction *a : m_window->findChildren<QAction *>()) {
        for (const QKeySequence &k : a->shortcuts())
            out.append({ k, QStringLiteral("action \"%1\" (%2)").arg(a->text(), a->objectName()) });
    }
    for (QAbstractButton *b : m_window->findChildren<QAbstractButton *>()) {
        // Mnemonics ("&Get" -> Alt+G) are resolved by Qt among the visible
        // widgets; explicit shortcuts are what collided before (F5).
        if (!b->shortcut().isEmpty() && b->shortcut() != QKeySequence::mnemonic(b->text()))
            out.append({ b->shortcut(), QStringLiteral("button \"%1\" (%2)").arg(b->text(), b->objectName()) });
    }
    return out;
}

void TestShortcuts::noTwoActionsShareAShortcut()
{
    const auto shortcuts = allShortcuts();
    QVERIFY(shortcuts.size() >= 12); // quit, connect, screenshot, 5 strategies, rescan, find, copy, delete, ...
    QHash<QString, QString> owner;
    for (const auto &[keys, name] : shortcuts) {
        const QString k = keys.toString(QKeySequence::PortableText);
        QVERIFY2(
            !owner.contains(k), qPrintable(QStringLiteral("%1 and %2 both claim %3").arg(owner.value(k), name, k)));
        owner.insert(k, name);
    }
}

namespace {
/// The Alt+letter of a text ("&Cache" -> "C"), empty without one.
QString mnemonicLetter(const QString &text)
{
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('&'))
            continue;
        if (text.at(i + 1) == QLatin1Char('&')) {
            ++i;
            continue;
        }
        return text.at(i + 1).toUpper();
    }
    return {};
}

/// "X and Y both use Alt+L" for every clash among (text, owner) pairs.
QStringList clashes(const QList<QPair<QString, QString>> &entries, const QString &where)
{
    QStringList out;
    QHash<QString, QString> owner;
    for (const auto &[text, name] : entries) {
        const QString letter = mnemonicLetter(text);
        if (letter.isEmpty())
            continue;
        if (owner.contains(letter))
            out << QStringLiteral("%1: %2 and %3 both use Alt+%4").arg(where, owner.value(letter), name, letter);
        else
            owner.insert(letter, name);
    }
    return out;
}

void menuClashes(QMenu *menu, QStringList *out, int *checkedMenus)
{
    QList<QPair<QString, QString>> entries;
    for (QAction *a : menu->actions()) {
        if (a->isSeparator() || !a->isVisible())
            continue;
        entries.append({ a->text(), QStringLiteral("\"%1\"").arg(a->text()) });
        if (a->menu())
            menuClashes(a->menu(), out, checkedMenus);
    }
    ++*checkedMenus;
    *out << clashes(entries, QStringLiteral("menu \"%1\"").arg(menu->title()));
}
} // namespace

void TestShortcuts::mnemonicsAreUniqueWhereTheyCompete()
{
    QVERIFY(!mnemonicLetter(QStringLiteral("R&&D &Lab")).isEmpty());
    QCOMPARE(mnemonicLetter(QStringLiteral("R&&D &Lab")), QStringLiteral("L"));
    QStringList problems;
    int menus = 0;
    // Within one menu, Alt+letter picks an entry: two of them make the key
    // only move between them.
    QList<QPair<QString, QString>> bar;
    for (QAction *a : m_window->menuBar()->actions()) {
        bar.append({ a->text(), QStringLiteral("menu \"%1\"").arg(a->text()) });
        if (a->menu())
            menuClashes(a->menu(), &problems, &menus);
    }
    QVERIFY(menus >= 6); // File, Export, Edit, Cache, View, Layouts, Help...
    // The menu bar's titles compete with the window's visible buttons.
    QList<QPair<QString, QString>> window = bar;
    for (QAbstractButton *b : m_window->findChildren<QAbstractButton *>()) {
        if (b->isVisibleTo(m_window.get()) && b->window() == m_window.get())
            window.append({ b->text(), QStringLiteral("button \"%1\" (%2)").arg(b->text(), b->objectName()) });
    }
    // A label with a buddy hands its Alt+letter to the field beside it.
    for (QLabel *l : m_window->findChildren<QLabel *>()) {
        if (l->buddy() && l->isVisibleTo(m_window.get()) && l->window() == m_window.get())
            window.append({ l->text(), QStringLiteral("label \"%1\"").arg(l->text()) });
    }
    problems << clashes(window, QStringLiteral("the main window"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void TestShortcuts::standardKeysHaveOneOwnerEach()
{
    const auto shortcuts = allShortcuts();
    const QList<QPair<QKeySequence::StandardKey, const char *>> standard { { QKeySequence::Find, "actionFind" },
        { QKeySequence::Refresh, "actionRescan" }, { QKeySequence::Copy, "actionCopy" },
        { QKeySequence::Delete, "actionDeleteKey" }, { QKeySequence::Quit, "actionQuit" } };
    for (const auto &[key, objectName] : standard) {
        // Some themes (offscreen, bare X11) bind no Quit key; the window then uses Ctrl+Q.
        const QKeySequence keys = key == QKeySequence::Quit && QKeySequence(key).isEmpty()
            ? QKeySequence(Qt::CTRL | Qt::Key_Q)
            : QKeySequence(key);
        QVERIFY2(!keys.isEmpty(), objectName);
        const auto owners = std::count_if(
            shortcuts.cbegin(), shortcuts.cend(), [&keys](const auto &entry) { return entry.first == keys; });
        QVERIFY2(owners == 1, qPrintable(QStringLiteral("%1: %2 owners").arg(keys.toString()).arg(owners)));
        auto *action = m_window->findChild<QAction *>(QLatin1String(objectName));
        QVERIFY2(action, objectName);
        QVERIFY(action->shortcuts().contains(keys));
    }
}

void TestShortcuts::f5TriggersARescan()
{
    KeyBrowserPanel *keys = m_window->keyBrowserPanel();
    QSignalSpy started(keys->scanner(), &KeyScanner::scanStarted);
    // From anywhere in the window: the focus in another panel.
    m_window->tracePanel()->view()->setFocus();
    QTest::keyClick(m_window.get(), Qt::Key_F5);
    QVERIFY(started.count() > 0 || started.wait(5000));
    // The Scan button still scans when clicked (it no longer claims F5).
    auto *scan = findNamed<QAbstractButton>(keys, "rescanButton");
    QVERIFY(scan);
    QVERIFY(scan->shortcut().isEmpty());
    started.clear();
    QTest::mouseClick(scan, Qt::LeftButton);
    QVERIFY(started.count() > 0 || started.wait(5000));
}

void TestShortcuts::findFocusesTheKeyFilter()
{
    auto *filter = findNamed<QLineEdit>(m_window.get(), "keyFilter");
    QVERIFY(filter);
    m_window->tracePanel()->view()->setFocus();
    QTRY_VERIFY(!filter->hasFocus());
    QTest::keySequence(m_window.get(), QKeySequence::Find);
    QTRY_VERIFY(filter->hasFocus());
}

bool TestShortcuts::selectKey(const QByteArray &key)
{
    KeyBrowserPanel *keys = m_window->keyBrowserPanel();
    keys->rescan();
    if (!QTest::qWaitFor([&] { return keys->model()->rowOfKey(key) >= 0; }, 10000))
        return false;
    return keys->selectKey(key) && keys->selectedKey() == key;
}

void TestShortcuts::copyTakesWhatHasTheFocus()
{
    // A get makes a trace; the trace panel follows it.
    std::optional<ServiceResult> got;
    m_backend->service()->get(1, this, [&](const ServiceResult &r) { got = r; });
    QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 10000);
    TracePanel *trace = m_window->tracePanel();
    QTRY_VERIFY(trace->diagram()->hasTrace());
    QApplication::clipboard()->clear();
    trace->view()->setFocus();
    QTRY_VERIFY(trace->view()->hasFocus());
    QTest::keySequence(m_window.get(), QKeySequence::Copy);
    QTRY_COMPARE(QApplication::clipboard()->text(), trace->diagram()->trace().toText());

    // In the key table: the selected row, its cells tab-separated.
    QVERIFY(selectKey(QByteArrayLiteral("product:1")));
    KeyBrowserPanel *keys = m_window->keyBrowserPanel();
    keys->view()->setFocus();
    QTRY_VERIFY(keys->view()->hasFocus());
    QTest::keySequence(m_window.get(), QKeySequence::Copy);
    QTRY_VERIFY2(QApplication::clipboard()->text().startsWith(QLatin1String("product:1\t")),
        qPrintable(QApplication::clipboard()->text()));
}

void TestShortcuts::deleteAsksFirstThenDeletes()
{
    m_server.syncString({ "SET", "deleteme", "x" });
    QVERIFY(selectKey(QByteArrayLiteral("deleteme")));
    KeyBrowserPanel *keys = m_window->keyBrowserPanel();
    keys->view()->setFocus();
    QTRY_VERIFY(keys->view()->hasFocus());
    const auto confirmBox = [this]() -> QMessageBox * {
        auto *box = m_window->findChild<QMessageBox *>(QStringLiteral("deleteKeyConfirm"));
        return box && box->isVisible() ? box : nullptr;
    };

    // Cancel: nothing is deleted.
    QTest::keySequence(m_window.get(), QKeySequence::Delete);
    QTRY_VERIFY(confirmBox() != nullptr);
    QVERIFY(confirmBox()->text().contains(QLatin1String("deleteme")));
    confirmBox()->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(confirmBox() == nullptr);
    QCOMPARE(m_server.syncInteger({ "EXISTS", "deleteme" }), qint64(1));

    // Delete: DEL, and the row fades out.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    keys->view()->setFocus();
    QTRY_VERIFY(keys->view()->hasFocus());
    QTest::keySequence(m_window.get(), QKeySequence::Delete);
    QTRY_VERIFY(confirmBox() != nullptr);
    auto *remove = confirmBox()->findChild<QPushButton *>(QStringLiteral("deleteKeyConfirmButton"));
    QVERIFY(remove);
    remove->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_server.syncInteger({ "EXISTS", "deleteme" }), qint64(0), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(keys->model()->rowOfKey(QByteArrayLiteral("deleteme")) < 0, 10000);

    // The Delete key does nothing outside the key browser.
    m_server.syncString({ "SET", "keepme", "x" });
    QVERIFY(selectKey(QByteArrayLiteral("keepme")));
    m_window->activateWindow(); // the closed box may have taken the activation along
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    m_window->tracePanel()->view()->setFocus();
    QTRY_VERIFY(m_window->tracePanel()->view()->hasFocus());
    QTest::keySequence(m_window.get(), QKeySequence::Delete);
    QCoreApplication::processEvents(); // a box would have been opened synchronously; no waiting needed
    QVERIFY(confirmBox() == nullptr);
}

void TestShortcuts::shortcutsDialogListsEveryShortcut()
{
    auto *help = m_window->findChild<QAction *>(QStringLiteral("actionKeyboardShortcuts"));
    QVERIFY(help);
    help->trigger();
    ShortcutsDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<ShortcutsDialog *>()) && dialog->isVisible());
    QTableWidget *table = dialog->table();
    struct Row
    {
        QStringList keys; ///< the cell lists all of its owner's keys, ", " between
        QString name;
        QString where;
    };
    QList<Row> rows;
    for (int r = 0; r < table->rowCount(); ++r)
        rows.append({ table->item(r, 0)->text().split(QStringLiteral(", ")), table->item(r, 1)->text(),
            table->item(r, 2)->text() });
    const auto rowOf = [&rows](const QKeySequence &keys) {
        const QString k = keys.toString(QKeySequence::NativeText);
        return int(std::find_if(rows.cbegin(), rows.cend(), [&k](const Row &r) { return r.keys.contains(k); })
            - rows.cbegin());
    };
    // One row per owner, and every shortcut of the window in its owner's row.
    const auto shortcuts = allShortcuts();
    QSet<QString> owners;
    for (const auto &[keys, name] : shortcuts) {
        owners.insert(name);
        QVERIFY2(rowOf(keys) < rows.size(), qPrintable(name + QLatin1Char(' ') + keys.toString()));
    }
    QCOMPARE(rows.size(), owners.size());
    const Row &rescan = rows.value(rowOf(QKeySequence(Qt::Key_F5)));
    QCOMPARE(rescan.name, QStringLiteral("Rescan Keys"));
    QCOMPARE(rescan.where, QStringLiteral("View menu"));
    const Row &remove = rows.value(rowOf(QKeySequence(QKeySequence::Delete)));
    QCOMPARE(remove.name, QStringLiteral("Delete Key"));
    QCOMPARE(remove.where, QStringLiteral("Redis keys panel"));
    for (const Row &row : std::as_const(rows))
        QVERIFY2(!row.name.contains(QLatin1Char('&')), qPrintable(row.name));
    // The menu bar's order (File first), and each menu's own order (Ctrl+1 before Ctrl+2).
    QCOMPARE(rows.first().where, QStringLiteral("File menu"));
    QVERIFY(rowOf(QKeySequence(Qt::CTRL | Qt::Key_1)) < rowOf(QKeySequence(Qt::CTRL | Qt::Key_2)));
    QVERIFY(rowOf(QKeySequence(Qt::CTRL | Qt::Key_2)) < rowOf(QKeySequence(Qt::CTRL | Qt::Key_5)));
    // Save Screenshot has a key even where the theme binds no Save As.
    auto *shot = m_window->findChild<QAction *>(QStringLiteral("actionSaveScreenshot"));
    QVERIFY(shot && !shot->shortcut().isEmpty());
    dialog->close();
}

void TestShortcuts::statusMessagesShowNoMnemonics()
{
    auto *warmUp = m_window->findChild<QAction *>(QStringLiteral("actionWarmUp"));
    QVERIFY(warmUp);
    QVERIFY(warmUp->text().contains(QLatin1Char('&')));
    m_window->statusBar()->clearMessage();
    warmUp->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->statusBar()->currentMessage().isEmpty(), 10000);
    const QString message = m_window->statusBar()->currentMessage();
    QVERIFY2(message.startsWith(QLatin1String("Warm Up Cache: done")), qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('&')), qPrintable(message));
}

QTEST_MAIN(TestShortcuts)
#include "tst_shortcuts.moc"
