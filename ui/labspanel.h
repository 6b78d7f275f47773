// LabsPanel: the Labs dock. A list of labs; beside it one lab's page (or
// two side by side): what you will see and why, its settings and seed, Run,
// Step, Stop, Reset and Export, its chart with a caption written from the
// run's numbers, its results table with the verdict, and the trace of every
// step. The labs run on their own redis-servers, never on the one the
// dashboard shows.
#pragma once

#include <QPointer>
#include <QWidget>
#include <functional>
#include <memory>

class Lab;
class LabChartView;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableWidget;
class QTabWidget;

class LabPage final : public QWidget
{
    Q_OBJECT

public:
    explicit LabPage(QWidget *parent = nullptr);
    ~LabPage() override;

    /// Shows a new lab of that name (the one shown before is dropped).
    void setLab(const QString &name);
    Lab *lab() const { return m_lab.get(); }
    /// Copies the other page's settings and seed (Side by side starts equal).
    void copySettingsFrom(const LabPage &other);

    /// Test hook: the export directory comes from here instead of a dialog.
    void setExportDirProvider(std::function<QString()> provider) { m_exportDir = std::move(provider); }
    /// Writes the run's files into dir; false with *error on failure.
    bool exportTo(const QString &dir, QString *error = nullptr);

private:
    void build();
    void applySettings();
    void refreshButtons();
    void showResults();
    void exportFiles();

    std::unique_ptr<Lab> m_lab;
    QLabel *m_title = nullptr;
    QLabel *m_description = nullptr;
    QLabel *m_reference = nullptr;
    QWidget *m_settings = nullptr;
    QList<QWidget *> m_paramEditors; ///< QSpinBox, QDoubleSpinBox, or QCheckBox for a 0/1 setting
    QSpinBox *m_seed = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_step = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_reset = nullptr;
    QPushButton *m_export = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QTabWidget *m_tabs = nullptr;
    QWidget *m_chartPage = nullptr;
    QList<LabChartView *> m_charts;
    QList<QLabel *> m_captions;
    QTableWidget *m_table = nullptr;
    QLabel *m_verdict = nullptr;
    QListWidget *m_trace = nullptr;
    std::function<QString()> m_exportDir;
};

class LabsPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit LabsPanel(QWidget *parent = nullptr);

    /// Selects the lab by name (as in LabRegistry::names()).
    void showLab(const QString &name);
    LabPage *page() const { return m_first; }
    /// The second page while Side by side is on, else nullptr.
    LabPage *secondPage() const { return m_second; }
    void setSideBySide(bool on);

private:
    QListWidget *m_list = nullptr;
    QSplitter *m_pages = nullptr;
    LabPage *m_first = nullptr;
    QPointer<LabPage> m_second;
    QPushButton *m_compare = nullptr;
};
