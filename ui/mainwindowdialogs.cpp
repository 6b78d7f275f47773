// MainWindow's dialogs: About, Keyboard Shortcuts, Connect to Redis
// (restarts CacheLab on the new connection) and the screenshot of the whole
// window. Kept apart from
// mainwindow.cpp, which builds the docks, menus and status bar.
#include "mainwindow.h"

#include "backend.h"
#include "connectiondialog.h"
#include "productservice.h"
#include "redisclient.h"
#include "shortcutsdialog.h"

#include <QApplication>
#include <QFileDialog>
#include <QMessageBox>
#include <QProcess>
#include <QProcessEnvironment>

void MainWindow::showAbout()
{
    const QString redisVersion = m_backend->redis() && !m_backend->redis()->serverVersion().isEmpty()
        ? m_backend->redis()->serverVersion()
        : (m_serverVersion.isEmpty() ? tr("not connected") : m_serverVersion);
    QMessageBox::about(this, tr("About CacheLab"),
        tr("<h3>CacheLab %1</h3>"
           "<p>See Redis caching in front of a SQL database: strategies, TTLs, "
           "evictions and every step an operation takes.</p>"
           "<table>"
           "<tr><td>Qt</td><td>&nbsp;%2 (built with %3)</td></tr>"
           "<tr><td>hiredis</td><td>&nbsp;%4</td></tr>"
           "<tr><td>Redis server</td><td>&nbsp;%5</td></tr>"
           "<tr><td>Redis</td><td>&nbsp;%6</td></tr>"
           "<tr><td>SQLite file</td><td>&nbsp;%7</td></tr>"
           "</table>")
            .arg(QStringLiteral(CACHELAB_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
                QStringLiteral(CACHELAB_HIREDIS_VERSION), redisVersion, m_backend->redisDescription().toHtmlEscaped(),
                m_backend->databasePath().toHtmlEscaped()));
}

void MainWindow::showShortcuts()
{
    // Built from the actions as they are now; not modal, so it can stay open.
    auto *dialog = new ShortcutsDialog(this, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::openConnectionDialog()
{
    ConnectionDialog dialog(this);
    if (!m_backend->isEmbedded())
        dialog.setUrl(m_backend->redisUrl());
    if (dialog.exec() != QDialog::Accepted)
        return;
    // A new connection is a new backend: start a fresh CacheLab with it and
    // close this one. The URL travels in the environment, not on the command
    // line, so the password does not show up in the process list.
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QStringList args;
    if (dialog.url())
        env.insert(QStringLiteral("CACHELAB_REDIS_URL"), dialog.urlString());
    else
        env.remove(QStringLiteral("CACHELAB_REDIS_URL"));
    if (!m_options.dbPath.isEmpty())
        args << QStringLiteral("--db") << m_options.dbPath;
    if (m_backend->service())
        args << QStringLiteral("--strategy") << strategyName(m_backend->service()->strategy());
    process.setProgram(QCoreApplication::applicationFilePath());
    process.setArguments(args);
    process.setProcessEnvironment(env);
    if (!process.startDetached()) {
        QMessageBox::warning(this, tr("CacheLab"), tr("Could not start CacheLab with the new connection."));
        return;
    }
    close();
}

void MainWindow::saveScreenshotAs()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save Screenshot"), QStringLiteral("cachelab.png"), tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    showMessage(saveScreenshot(path) ? tr("Saved %1").arg(path) : tr("Could not write %1").arg(path));
}

bool MainWindow::saveScreenshot(const QString &path)
{
    return grab().save(path, "PNG");
}
