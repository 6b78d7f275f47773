// Tests for ConnectionDialog: the fields become a RedisUrl (user, password,
// db, TLS files), bad URLs are refused at the dialog, and saved profiles
// keep the password only when the user ticked the box.
#include "connectiondialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

class TestConnectionDialog final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void fieldsBecomeUrl();
    void badUrlIsRefused();
    void passwordStoredOnlyWhenAsked();

private:
    static void type(QWidget *field, const QString &text)
    {
        QTest::mouseClick(field, Qt::LeftButton);
        QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(field, Qt::Key_Delete);
        QTest::keyClicks(field, text);
    }
};

void TestConnectionDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
}

void TestConnectionDialog::fieldsBecomeUrl()
{
    ConnectionDialog dialog;
    dialog.show();
    type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("rediss://cache.example.com:6380"));
    type(dialog.findChild<QLineEdit *>(QStringLiteral("userEdit")), QStringLiteral("app"));
    type(dialog.findChild<QLineEdit *>(QStringLiteral("passwordEdit")), QStringLiteral("p@ss word"));
    type(dialog.findChild<QLineEdit *>(QStringLiteral("caEdit")), QStringLiteral("/etc/ca.pem"));
    auto *db = dialog.findChild<QSpinBox *>(QStringLiteral("dbSpin"));
    db->setValue(3);
    QString error;
    const auto url = dialog.url(&error);
    QVERIFY2(url, qPrintable(error));
    QCOMPARE(url->transport, RedisUrl::Transport::Tls);
    QCOMPARE(url->host, QStringLiteral("cache.example.com"));
    QCOMPARE(url->port, quint16(6380));
    QCOMPARE(url->user, QStringLiteral("app"));
    QCOMPARE(url->password, QStringLiteral("p@ss word"));
    QCOMPARE(url->db, 3);
    QCOMPARE(url->caFile, QStringLiteral("/etc/ca.pem"));

    // A password without a user is password-only AUTH.
    type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("redis://127.0.0.1:6379"));
    type(dialog.findChild<QLineEdit *>(QStringLiteral("userEdit")), QString());
    type(dialog.findChild<QLineEdit *>(QStringLiteral("caEdit")), QString());
    const auto plain = dialog.url(&error);
    QVERIFY2(plain, qPrintable(error));
    QVERIFY(plain->user.isEmpty());
    QCOMPARE(plain->password, QStringLiteral("p@ss word"));
}

void TestConnectionDialog::badUrlIsRefused()
{
    ConnectionDialog dialog;
    dialog.show();
    type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("http://nope"));
    auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    QVERIFY(!ok->isEnabled());
    QVERIFY(!dialog.findChild<QLabel *>(QStringLiteral("connectionError"))->text().isEmpty());
    type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("redis://localhost"));
    QVERIFY(ok->isEnabled());
}

void TestConnectionDialog::passwordStoredOnlyWhenAsked()
{
    {
        ConnectionDialog dialog;
        dialog.show();
        type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("redis://db.local:6379"));
        type(dialog.findChild<QLineEdit *>(QStringLiteral("passwordEdit")), QStringLiteral("secret"));
        dialog.saveProfile(QStringLiteral("staging"));
    }
    QSettings settings;
    QCOMPARE(
        settings.value(QStringLiteral("connections/staging/url")).toString(), QStringLiteral("redis://db.local:6379"));
    QVERIFY(!settings.contains(QStringLiteral("connections/staging/password")));
    {
        ConnectionDialog dialog;
        dialog.show();
        type(dialog.findChild<QLineEdit *>(QStringLiteral("urlEdit")), QStringLiteral("redis://db.local:6379"));
        type(dialog.findChild<QLineEdit *>(QStringLiteral("passwordEdit")), QStringLiteral("secret"));
        QTest::mouseClick(dialog.findChild<QCheckBox *>(QStringLiteral("rememberPassword")), Qt::LeftButton);
        dialog.saveProfile(QStringLiteral("staging"));
    }
    QCOMPARE(QSettings().value(QStringLiteral("connections/staging/password")).toString(), QStringLiteral("secret"));
    ConnectionDialog reopened;
    QVERIFY(reopened.profileNames().contains(QStringLiteral("staging")));
    reopened.loadProfile(QStringLiteral("staging"));
    QCOMPARE(
        reopened.findChild<QLineEdit *>(QStringLiteral("urlEdit"))->text(), QStringLiteral("redis://db.local:6379"));
    QCOMPARE(reopened.findChild<QLineEdit *>(QStringLiteral("passwordEdit"))->text(), QStringLiteral("secret"));
}

QTEST_MAIN(TestConnectionDialog)
#include "tst_connectiondialog.moc"
