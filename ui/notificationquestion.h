// NotificationQuestion: asks before CacheLab changes an outside server's
// notify-keyspace-events, and says in the status bar what it changed.
//
// The question is a window-modal QMessageBox opened with open() (no nested
// event loop) with a "put the old value back when CacheLab closes" box;
// dialog() is the test hook. A question raised before the window existed
// (the setup connects first) is asked when this object is made.
#pragma once

#include <QCheckBox>
#include <QMessageBox>
#include <QObject>
#include <QPointer>

class NotificationSetup;

class NotificationQuestion final : public QObject
{
    Q_OBJECT

public:
    NotificationQuestion(NotificationSetup *setup, const QString &serverName, QWidget *window);

    /// The open question, or null.
    QMessageBox *dialog() const { return m_dialog; }
    QCheckBox *restoreBox() const { return m_restore; }

signals:
    /// A status-bar line: what was changed, restored or refused.
    void message(const QString &text);

private:
    void ask(const QString &current, const QString &proposed);

    NotificationSetup *m_setup;
    QString m_server;
    QWidget *m_window;
    QPointer<QMessageBox> m_dialog;
    QPointer<QCheckBox> m_restore;
};
