// ConnectionDialog: form, profile storage, URL assembly.
#include "connectiondialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

ConnectionDialog::ConnectionDialog(QWidget *parent)
    : QDialog(parent)
    , m_profile(new QComboBox(this))
    , m_url(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_remember(new QCheckBox(tr("Remember password in the settings file"), this))
    , m_db(new QSpinBox(this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Connect to Redis"));
    setObjectName(QStringLiteral("connectionDialog"));
    m_profile->setObjectName(QStringLiteral("profileCombo"));
    m_profile->setEditable(true);
    m_profile->addItems(profileNames());
    m_profile->setCurrentText(QString());
    m_profile->lineEdit()->setPlaceholderText(tr("profile name (optional)"));
    m_url->setObjectName(QStringLiteral("urlEdit"));
    m_url->setPlaceholderText(QStringLiteral("redis://host:6379  ·  rediss://host:6380  ·  unix:///run/redis.sock"));
    m_user->setObjectName(QStringLiteral("userEdit"));
    m_user->setPlaceholderText(tr("default"));
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);
    m_remember->setObjectName(QStringLiteral("rememberPassword"));
    m_db->setObjectName(QStringLiteral("dbSpin"));
    m_db->setRange(0, 15);
    m_error->setObjectName(QStringLiteral("connectionError"));
    m_error->setProperty("fieldError", true);
    m_error->setWordWrap(true);

    QWidget *caRow = nullptr, *certRow = nullptr, *keyRow = nullptr;
    m_ca = fileField(QStringLiteral("caEdit"), tr("CA certificate (PEM)"), &caRow);
    m_cert = fileField(QStringLiteral("certEdit"), tr("client certificate (PEM)"), &certRow);
    m_key = fileField(QStringLiteral("keyEdit"), tr("client private key (PEM)"), &keyRow);

    auto *form = new QFormLayout;
    form->addRow(tr("&Profile:"), m_profile);
    form->addRow(tr("&URL:"), m_url);
    form->addRow(tr("U&ser:"), m_user);
    form->addRow(tr("Pass&word:"), m_password);
    form->addRow(QString(), m_remember);
    form->addRow(tr("&Database:"), m_db);
    form->addRow(tr("TLS &CA:"), caRow);
    form->addRow(tr("Client cer&t:"), certRow);
    form->addRow(tr("Client &key:"), keyRow);

    auto *note = new QLabel(
        tr("CacheLab restarts with this connection; the embedded server is used when the URL is empty."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    connect(m_profile, &QComboBox::activated, this, [this](int index) { loadProfile(m_profile->itemText(index)); });
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        QString error;
        if (!m_url->text().trimmed().isEmpty() && !url(&error)) {
            m_error->setText(error);
            return;
        }
        if (!m_profile->currentText().trimmed().isEmpty())
            saveProfile(m_profile->currentText().trimmed());
        accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit *e : { m_url, m_user, m_password, m_ca, m_cert, m_key })
        connect(e, &QLineEdit::textChanged, this, &ConnectionDialog::validate);
    validate();
    resize(520, sizeHint().height());
}

QLineEdit *ConnectionDialog::fileField(const QString &objectName, const QString &placeholder, QWidget **row)
{
    auto *w = new QWidget(this);
    auto *l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    auto *edit = new QLineEdit(w);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    auto *browse = new QToolButton(w);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a file"));
    connect(browse, &QToolButton::clicked, this, [this, edit, placeholder] {
        const QString file = QFileDialog::getOpenFileName(
            this, placeholder, edit->text(), tr("PEM files (*.pem *.crt *.key);;All files (*)"));
        if (!file.isEmpty())
            edit->setText(file);
    });
    l->addWidget(edit, 1);
    l->addWidget(browse);
    *row = w;
    return edit;
}

void ConnectionDialog::validate()
{
    QString error;
    const bool empty = m_url->text().trimmed().isEmpty();
    const bool ok = empty || url(&error).has_value();
    m_error->setText(ok ? QString() : error);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

void ConnectionDialog::setUrl(const RedisUrl &url)
{
    QString text;
    switch (url.transport) {
    case RedisUrl::Transport::Unix:
        text = QStringLiteral("unix://") + url.socketPath;
        break;
    case RedisUrl::Transport::Tls:
        text = QStringLiteral("rediss://%1").arg(url.endpoint());
        break;
    case RedisUrl::Transport::Tcp:
        text = QStringLiteral("redis://%1").arg(url.endpoint());
        break;
    }
    m_url->setText(text);
    m_user->setText(url.user);
    m_password->setText(url.password);
    m_db->setValue(url.db);
    m_ca->setText(url.caFile);
    m_cert->setText(url.certFile);
    m_key->setText(url.keyFile);
}

QString ConnectionDialog::urlString() const
{
    QUrl u(m_url->text().trimmed());
    if (!m_user->text().isEmpty())
        u.setUserName(m_user->text());
    if (!m_password->text().isEmpty()) {
        u.setPassword(m_password->text());
        if (m_user->text().isEmpty())
            u.setUserName(QString());
    }
    if (u.scheme() != QLatin1String("unix"))
        u.setPath(QStringLiteral("/%1").arg(m_db->value()));
    QStringList query;
    const auto add = [&query](const char *name, const QString &value) {
        if (!value.isEmpty())
            query << QLatin1String(name) + QLatin1Char('=') + QString::fromUtf8(QUrl::toPercentEncoding(value));
    };
    add("ca", m_ca->text());
    add("cert", m_cert->text());
    add("key", m_key->text());
    if (u.scheme() == QLatin1String("unix") && m_db->value() != 0)
        query << QStringLiteral("db=%1").arg(m_db->value());
    if (!query.isEmpty())
        u.setQuery(query.join(QLatin1Char('&')));
    QString text = u.toString(QUrl::FullyEncoded);
    // A password without a user is written ":password@" (QUrl drops the empty user).
    if (m_user->text().isEmpty() && !m_password->text().isEmpty() && !text.contains(QStringLiteral("://:")))
        text.replace(QStringLiteral("://"), QStringLiteral("://:"));
    return text;
}

std::optional<RedisUrl> ConnectionDialog::url(QString *error) const
{
    return RedisUrl::parse(urlString(), error);
}

QStringList ConnectionDialog::profileNames() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("connections"));
    return settings.childGroups();
}

void ConnectionDialog::saveProfile(const QString &name)
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("connections"));
    settings.beginGroup(name);
    settings.setValue(QStringLiteral("url"), m_url->text().trimmed());
    settings.setValue(QStringLiteral("user"), m_user->text());
    settings.setValue(QStringLiteral("db"), m_db->value());
    settings.setValue(QStringLiteral("ca"), m_ca->text());
    settings.setValue(QStringLiteral("cert"), m_cert->text());
    settings.setValue(QStringLiteral("key"), m_key->text());
    settings.setValue(QStringLiteral("rememberPassword"), m_remember->isChecked());
    if (m_remember->isChecked())
        settings.setValue(QStringLiteral("password"), m_password->text());
    else
        settings.remove(QStringLiteral("password"));
}

void ConnectionDialog::loadProfile(const QString &name)
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("connections"));
    if (!settings.childGroups().contains(name))
        return;
    settings.beginGroup(name);
    m_url->setText(settings.value(QStringLiteral("url")).toString());
    m_user->setText(settings.value(QStringLiteral("user")).toString());
    m_db->setValue(settings.value(QStringLiteral("db")).toInt());
    m_ca->setText(settings.value(QStringLiteral("ca")).toString());
    m_cert->setText(settings.value(QStringLiteral("cert")).toString());
    m_key->setText(settings.value(QStringLiteral("key")).toString());
    m_remember->setChecked(settings.value(QStringLiteral("rememberPassword")).toBool());
    m_password->setText(settings.value(QStringLiteral("password")).toString());
}
