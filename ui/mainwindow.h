// MainWindow: the CacheLab dashboard's top-level window.
#pragma once

#include <QMainWindow>

#include "../app/appoptions.h"

class Backend;
class QLabel;
class QTableWidget;

class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(Backend *backend, const AppOptions &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Renders the whole window into a PNG file.
    bool saveScreenshot(const QString &path);

private:
    void reloadProducts();
    void updateStatus();

    Backend *m_backend;
    AppOptions m_options;
    QTableWidget *m_products = nullptr;
    QLabel *m_connection = nullptr;
};
