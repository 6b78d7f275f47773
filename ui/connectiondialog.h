// ConnectionDialog: where to find Redis, with saved profiles.
//
// Fields: URL (redis://, rediss://, unix://), ACL user, password, TLS CA,
// client certificate and key, database number. Profiles are kept in
// QSettings under "connections/"; the password is stored only when the
// user ticks "Remember password". url() combines everything into one
// RedisUrl, validated with RedisUrl::parse.
#pragma once

#include "redisurl.h"

#include <optional>
#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSettings;
class QSpinBox;

class ConnectionDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ConnectionDialog(QWidget *parent = nullptr);

    /// Fills the fields from a URL (password included if present).
    void setUrl(const RedisUrl &url);
    /// The connection the fields describe, or nullopt with *error set.
    std::optional<RedisUrl> url(QString *error = nullptr) const;
    /// The URL as text with the password included (for the child process environment only).
    QString urlString() const;

    QStringList profileNames() const;
    void saveProfile(const QString &name);
    void loadProfile(const QString &name);

private:
    void validate();
    QLineEdit *fileField(const QString &objectName, const QString &placeholder, QWidget **row);

    QComboBox *m_profile;
    QLineEdit *m_url;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QCheckBox *m_remember;
    QLineEdit *m_ca;
    QLineEdit *m_cert;
    QLineEdit *m_key;
    QSpinBox *m_db;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};
