// NotificationQuestion: the dialog and the status-bar lines of NotificationSetup.
#include "notificationquestion.h"

#include "notificationsetup.h"

#include <QCheckBox>
#include <QMessageBox>
#include <QPushButton>
#include <QWidget>

namespace {
QString shown(const QString &flags)
{
    return flags.isEmpty() ? QStringLiteral("\"\" (off)") : QStringLiteral("\"%1\"").arg(flags);
}
} // namespace

NotificationQuestion::NotificationQuestion(NotificationSetup *setup, const QString &serverName, QWidget *window)
    : QObject(window)
    , m_setup(setup)
    , m_server(serverName)
    , m_window(window)
{
    connect(setup, &NotificationSetup::questionAsked, this, &NotificationQuestion::ask);
    connect(setup, &NotificationSetup::changed, this, [this](const QString &before, const QString &after) {
        emit message(m_setup->restoresOnExit()
                ? tr("notify-keyspace-events on %1 changed from %2 to %3; the old value comes back when CacheLab "
                     "closes.")
                      .arg(m_server, shown(before), shown(after))
                : tr("notify-keyspace-events on %1 changed from %2 to %3.").arg(m_server, shown(before), shown(after)));
    });
    connect(setup, &NotificationSetup::restored, this, [this](const QString &flags) {
        emit message(tr("notify-keyspace-events on %1 is %2 again.").arg(m_server, shown(flags)));
    });
    connect(setup, &NotificationSetup::failed, this, &NotificationQuestion::message);
    if (setup->state() == NotificationSetup::State::Asking)
        ask(setup->currentFlags(), setup->proposedFlags());
}

void NotificationQuestion::ask(const QString &current, const QString &proposed)
{
    if (m_dialog)
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Keyspace notifications"),
        tr("<p>The Redis server %1 has <code>notify-keyspace-events</code> set to %2.</p>"
           "<p>CacheLab's events panel and the key browser's live TTLs need it to include K and A. "
           "Set it to %3?</p>"
           "<p>Other clients of this server will then receive these notifications too. "
           "Without them everything else works; events just stay empty.</p>")
            .arg(m_server.toHtmlEscaped(), shown(current).toHtmlEscaped(), shown(proposed).toHtmlEscaped()),
        QMessageBox::NoButton, m_window);
    box->setObjectName(QStringLiteral("notificationsQuestion"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    QPushButton *yes = box->addButton(tr("&Turn On"), QMessageBox::AcceptRole);
    yes->setObjectName(QStringLiteral("notificationsAllow"));
    QPushButton *no = box->addButton(tr("&Leave It"), QMessageBox::RejectRole);
    no->setObjectName(QStringLiteral("notificationsDecline"));
    box->setDefaultButton(yes);
    auto *restore = new QCheckBox(tr("Put the old value back when CacheLab closes"), box);
    restore->setObjectName(QStringLiteral("notificationsRestore"));
    restore->setChecked(true);
    box->setCheckBox(restore);
    m_restore = restore;
    connect(box, &QMessageBox::buttonClicked, this, [this, yes, restore](QAbstractButton *clicked) {
        const bool allow = clicked == yes;
        m_setup->answer(allow, restore->isChecked());
        if (!allow)
            emit message(
                tr("Keyspace notifications on %1 left as they were: the events panel stays empty.").arg(m_server));
    });
    // Closing the box with Esc or the title bar is a no.
    connect(box, &QDialog::rejected, this, [this] {
        if (m_setup->state() == NotificationSetup::State::Asking)
            m_setup->answer(false, false);
    });
    m_dialog = box;
    box->open();
}
