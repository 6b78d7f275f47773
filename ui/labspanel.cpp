// LabsPanel and LabPage: the window side of core/labs.
#include "labspanel.h"

#include "lab.h"
#include "labchartview.h"
#include "labexport.h"
#include "labregistry.h"
#include "theme.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

constexpr int MaxTraceLines = 5000; // the newest; a long run's early batches scroll away

QString stateText(Lab::State s)
{
    switch (s) {
    case Lab::State::Idle:
        return LabPage::tr("Ready");
    case Lab::State::Starting:
        return LabPage::tr("Starting the lab's own redis-server...");
    case Lab::State::Running:
        return LabPage::tr("Running");
    case Lab::State::Paused:
        return LabPage::tr("Paused after a step: Step for the next, Run for the rest");
    case Lab::State::Finished:
        return LabPage::tr("Finished");
    case Lab::State::Stopped:
        return LabPage::tr("Stopped: Reset, or Run to start again");
    case Lab::State::Failed:
        return LabPage::tr("Failed");
    }
    return {};
}

} // namespace

LabPage::LabPage(QWidget *parent)
    : QWidget(parent)
{
    build();
}

LabPage::~LabPage() = default;

void LabPage::build()
{
    auto *layout = new QVBoxLayout(this);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("labTitle"));
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    big.setBold(true);
    m_title->setFont(big);
    m_title->setWordWrap(true);
    m_description = new QLabel(this);
    m_description->setObjectName(QStringLiteral("labDescription"));
    m_description->setWordWrap(true);
    m_reference = new QLabel(this);
    m_reference->setObjectName(QStringLiteral("labReference"));
    m_reference->setWordWrap(true);
    m_reference->setStyleSheet(QStringLiteral("color: %1").arg(Theme::muted().name()));
    layout->addWidget(m_title);
    layout->addWidget(m_description);

    auto *controls = new QHBoxLayout;
    m_settings = new QWidget(this);
    m_settings->setObjectName(QStringLiteral("labSettings"));
    auto *form = new QFormLayout(m_settings);
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    controls->addWidget(m_settings, 1);
    auto *buttons = new QVBoxLayout;
    // No mnemonics: docked, the page shares the window's Alt keys, and
    // they are all taken there.
    const auto button = [this, buttons](const QString &text, const char *name, const QString &tip) {
        auto *b = new QPushButton(text, this);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(tip);
        buttons->addWidget(b);
        return b;
    };
    m_run = button(tr("Run"), "labRun", tr("Run every remaining step"));
    m_step = button(tr("Step"), "labStep", tr("Run one step (one batch of commands or one slice of simulation) and pause"));
    m_stop = button(tr("Stop"), "labStop", tr("Stop after the step in flight"));
    m_reset = button(tr("Reset"), "labReset", tr("Forget this run and its redis-server"));
    m_export = button(tr("Export..."), "labExport", tr("Save the charts (PNG, SVG), the tables (CSV) and the JSON"));
    buttons->addStretch();
    controls->addLayout(buttons);
    layout->addLayout(controls);

    auto *progressRow = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("labProgress"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("labStatus"));
    m_status->setWordWrap(true);
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_status, 2);
    layout->addLayout(progressRow);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("labTabs"));
    // Charts stack in a scroll area: a lab with many (the shoot-out has
    // seven) keeps each one tall enough to read.
    auto *chartScroll = new QScrollArea(m_tabs);
    chartScroll->setObjectName(QStringLiteral("labChartScroll"));
    chartScroll->setWidgetResizable(true);
    chartScroll->setFrameShape(QFrame::NoFrame);
    m_chartPage = new QWidget(chartScroll);
    new QVBoxLayout(m_chartPage);
    chartScroll->setWidget(m_chartPage);
    m_tabs->addTab(chartScroll, tr("Chart"));
    auto *resultsPage = new QWidget(m_tabs);
    auto *resultsLayout = new QVBoxLayout(resultsPage);
    m_verdict = new QLabel(resultsPage);
    m_verdict->setObjectName(QStringLiteral("labVerdict"));
    m_verdict->setWordWrap(true);
    m_table = new QTableWidget(resultsPage);
    m_table->setObjectName(QStringLiteral("labResults"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // What the result is checked against sits with the verdict.
    m_reference->setParent(resultsPage);
    resultsLayout->addWidget(m_reference);
    resultsLayout->addWidget(m_verdict);
    resultsLayout->addWidget(m_table, 1);
    m_tabs->addTab(resultsPage, tr("Results"));
    m_trace = new QListWidget(m_tabs);
    m_trace->setObjectName(QStringLiteral("labTrace"));
    m_trace->setUniformItemSizes(true);
    m_tabs->addTab(m_trace, tr("Trace"));
    layout->addWidget(m_tabs, 1);

    // A new run takes the settings as the editors show them now (a finished,
    // stopped or failed run is reset first, so an edit made after it counts).
    const auto freshRun = [this] {
        const Lab::State s = m_lab->state();
        if (s == Lab::State::Finished || s == Lab::State::Stopped || s == Lab::State::Failed)
            m_lab->reset();
        if (m_lab->state() == Lab::State::Idle)
            applySettings();
    };
    connect(m_run, &QPushButton::clicked, this, [this, freshRun] {
        if (!m_lab)
            return;
        freshRun();
        m_lab->run();
    });
    connect(m_step, &QPushButton::clicked, this, [this, freshRun] {
        if (!m_lab)
            return;
        freshRun();
        m_tabs->setCurrentWidget(m_trace); // a step is read in the trace
        m_lab->step();
    });
    connect(m_stop, &QPushButton::clicked, this, [this] {
        if (m_lab)
            m_lab->stop();
    });
    connect(m_reset, &QPushButton::clicked, this, [this] {
        if (m_lab)
            m_lab->reset();
    });
    connect(m_export, &QPushButton::clicked, this, &LabPage::exportFiles);
}

void LabPage::setLab(const QString &name)
{
    m_lab = LabRegistry::create(name);
    m_trace->clear();
    m_table->clear();
    m_table->setRowCount(0);
    m_table->setColumnCount(0);
    m_verdict->clear();
    if (!m_lab)
        return;
    m_title->setText(m_lab->title());
    m_description->setText(m_lab->description());
    m_reference->setText(tr("Checked against: %1").arg(m_lab->referenceText()));

    // Settings: one editor per parameter, then the seed.
    auto *form = static_cast<QFormLayout *>(m_settings->layout());
    while (form->rowCount() > 0)
        form->removeRow(0);
    m_paramEditors.clear();
    for (const LabParam &p : m_lab->params()) {
        QWidget *editor = nullptr;
        if (p.integer && p.min == 0 && p.max == 1) { // a yes/no setting
            auto *box = new QCheckBox(m_settings);
            box->setChecked(p.value != 0);
            editor = box;
        } else if (p.integer) {
            auto *spin = new QSpinBox(m_settings);
            spin->setRange(int(p.min), int(p.max));
            spin->setValue(int(p.value));
            spin->setGroupSeparatorShown(true);
            editor = spin;
        } else {
            auto *spin = new QDoubleSpinBox(m_settings);
            spin->setDecimals(2);
            spin->setSingleStep(0.1);
            spin->setRange(p.min, p.max);
            spin->setValue(p.value);
            editor = spin;
        }
        editor->setObjectName(QStringLiteral("labParam-") + p.key);
        editor->setMinimumWidth(140);
        editor->setToolTip(p.help);
        form->addRow(p.label, editor);
        m_paramEditors << editor;
    }
    m_seed = new QSpinBox(m_settings);
    m_seed->setObjectName(QStringLiteral("labSeed"));
    m_seed->setRange(0, 2147483647);
    m_seed->setValue(int(m_lab->seed()));
    m_seed->setToolTip(tr("The same seed gives the same run"));
    form->addRow(tr("Seed"), m_seed);

    connect(m_lab.get(), &Lab::stateChanged, this, [this] {
        refreshButtons();
        if (m_lab->state() == Lab::State::Finished) {
            showResults();
            m_tabs->setCurrentIndex(0); // the charts
        }
        if (m_lab->state() == Lab::State::Idle) {
            m_trace->clear();
            showResults(); // empties them
        }
    });
    connect(m_lab.get(), &Lab::stepped, this, [this](const QString &line) {
        m_trace->addItem(tr("%1. %2").arg(m_lab->stepsDone()).arg(line));
        while (m_trace->count() > MaxTraceLines)
            delete m_trace->takeItem(0);
        m_trace->setCurrentRow(m_trace->count() - 1);
        m_trace->scrollToBottom();
    });
    connect(m_lab.get(), &Lab::progressed, this, [this](int done, int total) {
        m_progress->setRange(0, std::max(total, 1));
        m_progress->setValue(done);
    });
    connect(m_lab.get(), &Lab::failed, this, [this](const QString &message) {
        m_verdict->setText(tr("The lab could not run: %1").arg(message));
        m_status->setText(tr("Failed: %1").arg(message));
    });
    showResults();
    refreshButtons();
}

void LabPage::copySettingsFrom(const LabPage &other)
{
    for (int i = 0; i < m_paramEditors.size() && i < other.m_paramEditors.size(); ++i) {
        QWidget *mine = m_paramEditors.at(i), *theirs = other.m_paramEditors.at(i);
        if (auto *a = qobject_cast<QSpinBox *>(mine))
            a->setValue(static_cast<QSpinBox *>(theirs)->value());
        else if (auto *d = qobject_cast<QDoubleSpinBox *>(mine))
            d->setValue(static_cast<QDoubleSpinBox *>(theirs)->value());
        else if (auto *c = qobject_cast<QCheckBox *>(mine))
            c->setChecked(static_cast<QCheckBox *>(theirs)->isChecked());
    }
    if (m_seed && other.m_seed)
        m_seed->setValue(other.m_seed->value());
}

void LabPage::applySettings()
{
    const auto &params = m_lab->params();
    for (int i = 0; i < params.size() && i < m_paramEditors.size(); ++i) {
        double value = 0;
        if (auto *s = qobject_cast<QSpinBox *>(m_paramEditors.at(i)))
            value = s->value();
        else if (auto *d = qobject_cast<QDoubleSpinBox *>(m_paramEditors.at(i)))
            value = d->value();
        else if (auto *c = qobject_cast<QCheckBox *>(m_paramEditors.at(i)))
            value = c->isChecked() ? 1 : 0;
        m_lab->setParam(params.at(i).key, value); // the editors hold the valid range
    }
    m_lab->setSeed(quint64(m_seed->value()));
}

void LabPage::refreshButtons()
{
    const Lab::State s = m_lab ? m_lab->state() : Lab::State::Idle;
    const bool going = s == Lab::State::Starting || s == Lab::State::Running;
    m_run->setEnabled(m_lab && !going);
    m_step->setEnabled(m_lab && !going);
    m_stop->setEnabled(m_lab && (going || s == Lab::State::Paused));
    m_reset->setEnabled(m_lab && s != Lab::State::Idle && !going);
    m_export->setEnabled(m_lab && s == Lab::State::Finished);
    m_settings->setEnabled(s == Lab::State::Idle || s == Lab::State::Finished || s == Lab::State::Stopped
        || s == Lab::State::Failed);
    QString status = stateText(s);
    if (m_lab && s == Lab::State::Finished)
        status += m_lab->matches() ? tr(": matches its reference") : tr(": does NOT match its reference");
    m_status->setText(status);
}

void LabPage::showResults()
{
    // Charts: one view per chart, each with its caption under it.
    auto *layout = static_cast<QVBoxLayout *>(m_chartPage->layout());
    for (LabChartView *v : std::as_const(m_charts))
        delete v;
    for (QLabel *c : std::as_const(m_captions))
        delete c;
    m_charts.clear();
    m_captions.clear();
    const QList<LabChart> charts = m_lab ? m_lab->charts() : QList<LabChart> {};
    for (const LabChart &chart : charts) {
        auto *view = new LabChartView(m_chartPage);
        view->setObjectName(QStringLiteral("labChart-") + chart.id);
        view->setLabChart(chart);
        if (charts.size() > 2)
            view->setMinimumHeight(320);
        auto *caption = new QLabel(chart.caption, m_chartPage);
        caption->setObjectName(QStringLiteral("labCaption-") + chart.id);
        caption->setWordWrap(true);
        layout->addWidget(view, 1);
        layout->addWidget(caption);
        m_charts << view;
        m_captions << caption;
    }
    if (charts.isEmpty()) {
        auto *hint = new QLabel(m_lab ? tr("Run the lab (or Step through it) to see its chart here.") : QString(),
            m_chartPage);
        hint->setAlignment(Qt::AlignCenter);
        layout->addWidget(hint, 1);
        m_captions << hint;
    }

    // The first table that is not bulk: the results the JSON holds too.
    m_table->clear();
    m_table->setRowCount(0);
    m_table->setColumnCount(0);
    if (m_lab) {
        for (const LabTable &t : m_lab->tables()) {
            if (t.bulk)
                continue;
            m_table->setColumnCount(int(t.columns.size()));
            m_table->setHorizontalHeaderLabels(t.columns);
            m_table->setRowCount(int(t.rows.size()));
            for (int r = 0; r < t.rows.size(); ++r) {
                for (int c = 0; c < t.rows.at(r).size(); ++c) {
                    const QVariant &v = t.rows.at(r).at(c);
                    const QString text = v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'f', 3)
                        : v.typeId() == QMetaType::Bool                  ? (v.toBool() ? tr("yes") : tr("no"))
                                                                         : v.toString();
                    auto *item = new QTableWidgetItem(text);
                    if (v.typeId() != QMetaType::QString)
                        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                    m_table->setItem(r, c, item);
                }
            }
            break;
        }
    }
    if (m_lab && m_lab->state() == Lab::State::Finished)
        m_verdict->setText(m_lab->matches() ? tr("Result: matches its reference.")
                                            : tr("Result: does NOT match its reference. The table shows where."));
    else if (!m_lab || m_lab->state() != Lab::State::Failed)
        m_verdict->clear();
}

bool LabPage::exportTo(const QString &dir, QString *error)
{
    if (!m_lab || m_lab->state() != Lab::State::Finished) {
        if (error)
            *error = tr("Run the lab to the end before exporting it.");
        return false;
    }
    QStringList written;
    if (!LabExport::write(*m_lab, dir, error, &written))
        return false;
    m_status->setText(tr("Saved %1 files in %2").arg(written.size()).arg(dir));
    return true;
}

void LabPage::exportFiles()
{
    const QString dir = m_exportDir ? m_exportDir()
                                    : QFileDialog::getExistingDirectory(this, tr("Export the lab into a folder"));
    if (dir.isEmpty())
        return;
    QString error;
    if (!exportTo(dir, &error))
        m_status->setText(tr("Not saved: %1").arg(error));
}

LabsPanel::LabsPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    auto *side = new QVBoxLayout;
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("labList"));
    for (const QString &name : LabRegistry::names()) {
        const auto lab = LabRegistry::create(name);
        auto *item = new QListWidgetItem(lab->title(), m_list);
        item->setData(Qt::UserRole, name);
        item->setToolTip(lab->description());
    }
    m_list->setWordWrap(true);
    m_list->setMaximumWidth(260);
    m_compare = new QPushButton(tr("Side by side"), this);
    m_compare->setObjectName(QStringLiteral("labCompare"));
    m_compare->setCheckable(true);
    m_compare->setToolTip(tr("A second copy of this lab beside the first, same settings and seed: change one "
                             "setting and run both"));
    side->addWidget(m_list, 1);
    side->addWidget(m_compare);
    layout->addLayout(side);

    m_pages = new QSplitter(Qt::Horizontal, this);
    m_first = new LabPage(m_pages);
    m_pages->addWidget(m_first);
    layout->addWidget(m_pages, 1);

    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (!item)
            return;
        const QString name = item->data(Qt::UserRole).toString();
        m_first->setLab(name);
        if (m_second) {
            m_second->setLab(name);
            m_second->copySettingsFrom(*m_first);
        }
    });
    connect(m_compare, &QPushButton::toggled, this, &LabsPanel::setSideBySide);
    m_list->setCurrentRow(0);
}

void LabsPanel::showLab(const QString &name)
{
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(Qt::UserRole).toString() == name)
            m_list->setCurrentRow(i);
}

void LabsPanel::setSideBySide(bool on)
{
    if (m_compare->isChecked() != on)
        m_compare->setChecked(on); // comes back here through toggled()
    if (on && !m_second) {
        m_second = new LabPage(m_pages);
        m_pages->addWidget(m_second);
        if (QListWidgetItem *item = m_list->currentItem())
            m_second->setLab(item->data(Qt::UserRole).toString());
        m_second->copySettingsFrom(*m_first);
    } else if (!on && m_second) {
        delete m_second;
    }
}
