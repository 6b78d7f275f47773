// StrategyPanel: widgets bound to ProductService settings in both directions.
#include "strategypanel.h"

#include <QAbstractScrollArea>

#include "cachesettings.h"
#include "evictionsettings.h"
#include "fontfollow.h"
#include "productservice.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

StrategyPanel::StrategyPanel(ProductService *service, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_strategy(new QComboBox(this))
    , m_explanation(new QLabel(this))
    , m_ttl(new QSpinBox(this))
    , m_jitter(new QSpinBox(this))
    , m_stampede(new QComboBox(this))
    , m_latency(new QSpinBox(this))
    , m_maxMemory(new QSpinBox(this))
    , m_policy(new QComboBox(this))
{
    m_strategy->setObjectName(QStringLiteral("strategyCombo"));
    for (StrategyKind kind : allStrategies()) {
        m_strategy->addItem(strategyName(kind), int(kind));
        // The whole name and what it does, also when the combo is cut.
        m_strategy->setItemData(m_strategy->count() - 1,
            QStringLiteral("%1: %2").arg(strategyName(kind), strategyDescription(kind)), Qt::ToolTipRole);
    }
    m_strategy->setToolTip(tr("How reads and writes use Redis in front of SQLite (Ctrl+1 … Ctrl+5)"));
    // The longest name decides the width, so none is cut.
    m_strategy->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    // Larger and bold, relative to the panel's font so zoom reaches it.
    FontFollow::follow(this, [this] {
        QFont big = font();
        big.setPointSizeF(big.pointSizeF() * 1.1);
        big.setBold(true);
        m_strategy->setFont(big);
    });

    m_explanation->setObjectName(QStringLiteral("explanation"));
    m_explanation->setWordWrap(true);
    m_explanation->setTextFormat(Qt::RichText);
    m_explanation->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_explanation->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_ttl->setObjectName(QStringLiteral("ttlSpin"));
    m_ttl->setRange(1, 86400);
    m_ttl->setSuffix(tr(" s"));
    m_ttl->setToolTip(tr("Time to live of a cached product"));
    m_jitter->setObjectName(QStringLiteral("jitterSpin"));
    m_jitter->setRange(0, 50);
    m_jitter->setSuffix(tr(" %"));
    m_jitter->setPrefix(QStringLiteral("± "));
    m_jitter->setToolTip(tr("Randomise each TTL so many keys do not expire at the same moment"));
    m_stampede->setObjectName(QStringLiteral("stampedeCombo"));
    m_stampede->addItems(stampedeModeNames());
    m_stampede->setToolTip(tr("off: every miss loads · single-flight: one load per key in this process · "
                              "lock: a Redis lock across processes · xfetch: refresh early, before expiry"));
    m_latency->setObjectName(QStringLiteral("latencySpin"));
    m_latency->setRange(0, 2000);
    m_latency->setSingleStep(50);
    m_latency->setSuffix(tr(" ms"));
    m_latency->setToolTip(tr("Artificial delay before each SQL statement: shows why a cache helps"));

    m_maxMemory->setObjectName(QStringLiteral("maxMemorySpin"));
    // In kB: a lesson sets the limit a few kB above what Redis uses (the
    // Metrics panel shows it to the kB), where whole MB evict nothing or
    // everything at once. Up to 64 GiB.
    m_maxMemory->setRange(0, 64 * 1024 * 1024);
    m_maxMemory->setSingleStep(16);
    m_maxMemory->setSuffix(tr(" kB"));
    m_maxMemory->setSpecialValueText(tr("no limit"));
    m_maxMemory->setToolTip(tr("maxmemory in kB: the memory Redis may use before it evicts keys "
                               "(see \"used\" in the Metrics panel)"));
    m_policy->setObjectName(QStringLiteral("evictionPolicyCombo"));
    m_policy->addItems(EvictionSettings::policies());
    m_policy->setToolTip(tr("maxmemory-policy: which keys Redis evicts when it reaches maxmemory"));
    m_policy->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_policy->setMinimumContentsLength(8);
    m_stampede->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_stampede->setMinimumContentsLength(8);
    auto *applyEviction = new QPushButton(tr("Apply"), this);
    applyEviction->setObjectName(QStringLiteral("applyEvictionButton"));
    applyEviction->setToolTip(tr("CONFIG SET maxmemory and maxmemory-policy on the Redis server"));

    // The explanation gets the panel's whole width under the combo: beside
    // it, a narrow column clipped it mid-sentence.
    auto *top = new QVBoxLayout;
    top->setSpacing(4);
    auto *pick = new QHBoxLayout;
    auto *strategyLabel = new QLabel(tr("Strateg&y"), this);
    strategyLabel->setBuddy(m_strategy);
    pick->addWidget(strategyLabel);
    pick->addWidget(m_strategy);
    pick->addStretch(1);
    top->addLayout(pick);
    top->addWidget(m_explanation);

    m_grid = new QGridLayout;
    m_grid->setHorizontalSpacing(8);
    m_grid->setVerticalSpacing(4);
    const auto label = [this](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text, this);
        l->setBuddy(buddy);
        return l;
    };
    m_settings = { { label(tr("TT&L"), m_ttl), m_ttl }, { label(tr("&Jitter"), m_jitter), m_jitter },
        { label(tr("Sta&mpede"), m_stampede), m_stampede }, { label(tr("D&B latency"), m_latency), m_latency } };
    auto *eviction = new QWidget(this);
    auto *evictionRow = new QHBoxLayout(eviction);
    evictionRow->setContentsMargins(0, 0, 0, 0);
    evictionRow->addWidget(m_maxMemory);
    evictionRow->addWidget(m_policy, 1);
    evictionRow->addWidget(applyEviction);
    m_settings.append({ label(tr("Evicti&on"), m_maxMemory), eviction });
    arrangeSettings(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->setSpacing(4); // at 1280x800 every pixel here is a products row less
    layout->addLayout(top);
    layout->addLayout(m_grid);
    layout->addStretch(1);

    connect(m_strategy, &QComboBox::currentIndexChanged, this, [this] {
        const auto kind = StrategyKind(m_strategy->currentData().toInt());
        showExplanation(kind);
        if (!m_syncing && m_service)
            m_service->setStrategy(kind);
    });
    for (QSpinBox *spin : { m_ttl, m_jitter })
        connect(spin, &QSpinBox::valueChanged, this, &StrategyPanel::pushSettings);
    connect(m_stampede, &QComboBox::currentIndexChanged, this, &StrategyPanel::pushSettings);
    connect(m_latency, &QSpinBox::valueChanged, this, [this](int ms) {
        if (!m_syncing && m_service)
            m_service->setArtificialDbLatency(ms);
    });
    connect(applyEviction, &QPushButton::clicked, this, &StrategyPanel::applyEviction);
    showExplanation(StrategyKind::CacheAside);
    connect(service, &ProductService::strategyChanged, this, &StrategyPanel::syncFromService);
    connect(service, &ProductService::settingsChanged, this, &StrategyPanel::syncFromService);
    connect(service, &ProductService::evictionSettingsChanged, this, [this](const EvictionSettings &e) {
        m_syncing = true;
        m_maxMemory->setValue(int(e.maxmemoryBytes / 1024));
        m_policy->setCurrentText(e.policy);
        m_syncing = false;
    });
    syncFromService();
}

void StrategyPanel::syncFromService()
{
    ProductService *service = m_service;
    m_syncing = true;
    m_strategy->setCurrentIndex(m_strategy->findData(int(service->strategy())));
    showExplanation(service->strategy());
    const CacheSettings s = service->settings();
    m_ttl->setValue(s.ttlSeconds);
    m_jitter->setValue(s.ttlJitterPercent);
    m_stampede->setCurrentText(stampedeModeName(s.stampede));
    m_latency->setValue(service->artificialDbLatency());
    m_syncing = false;
}

void StrategyPanel::pushSettings()
{
    if (m_syncing)
        return;
    CacheSettings s = m_service->settings();
    s.ttlSeconds = m_ttl->value();
    s.ttlJitterPercent = m_jitter->value();
    s.stampede = stampedeModeFromName(m_stampede->currentText()).value_or(s.stampede);
    m_service->setSettings(s);
}

void StrategyPanel::applyEviction()
{
    if (!m_service)
        return;
    EvictionSettings e;
    e.maxmemoryBytes = qint64(m_maxMemory->value()) * 1024;
    e.policy = m_policy->currentText();
    const QString problem = e.validate();
    if (!problem.isEmpty()) {
        emit message(problem);
        return;
    }
    m_service->applyEvictionSettings(e, this, [this](const EvictionSettings &applied, const ServiceResult &r) {
        if (!r.ok()) {
            emit message(tr("Eviction settings not applied: %1").arg(r.error));
            return;
        }
        QString text = tr("Redis now evicts with %1 above %2.")
                           .arg(applied.policy,
                               applied.maxmemoryBytes ? tr("%L1 kB").arg(applied.maxmemoryBytes / 1024)
                                                      : tr("no limit"));
        for (const QString &w : r.warnings)
            text += QLatin1Char(' ') + w;
        emit message(text);
    });
}

void StrategyPanel::showExplanation(StrategyKind kind)
{
    m_explanation->setText(explanation(kind));
    // The whole text also as a tooltip, for a dock made shorter than the text.
    m_explanation->setToolTip(QStringLiteral("<p>%1</p>").arg(explanation(kind)));
    fitExplanation();
}

void StrategyPanel::fitExplanation()
{
    // Docks do not ask for height-for-width: the panel's minimum height is
    // what the wrapped explanation needs at the current width, so the dock
    // cannot be made so short that the text is cut mid-sentence.
    // In a scroll area (as the window puts it) the area asks the layout
    // itself; a minimum here would only bring a scroll bar.
    const bool scrolled = parentWidget() && qobject_cast<QAbstractScrollArea *>(parentWidget()->parentWidget());
    if (QLayout *l = layout(); l && l->hasHeightForWidth())
        setMinimumHeight(scrolled ? 0 : l->totalHeightForWidth(width()));
}

void StrategyPanel::arrangeSettings(bool narrow)
{
    // Wide: two settings a row (TTL | jitter, stampede | latency), eviction
    // across. Narrow (a zoomed presentation, a large font): one a row, so
    // nothing needs a scroll bar to be read.
    for (const auto &[label, field] : std::as_const(m_settings)) {
        m_grid->removeWidget(label);
        m_grid->removeWidget(field);
    }
    for (int column = 0; column < 4; ++column)
        m_grid->setColumnStretch(column, 0);
    for (int i = 0; i < m_settings.size(); ++i) {
        const auto &[label, field] = m_settings.at(i);
        const bool last = i == m_settings.size() - 1;
        if (last && narrow) { // its three controls get the whole width, under their label
            m_grid->addWidget(label, i, 0, 1, 2);
            m_grid->addWidget(field, i + 1, 0, 1, 2);
            continue;
        }
        const int row = narrow ? i : (last ? 2 : i / 2);
        const int column = narrow || last ? 0 : (i % 2) * 2;
        m_grid->addWidget(label, row, column);
        m_grid->addWidget(field, row, column + 1, 1, narrow ? 1 : (last ? 3 : 1));
    }
    m_grid->setColumnStretch(1, 1);
    if (!narrow)
        m_grid->setColumnStretch(3, 1);
    m_narrow = narrow;
}

void StrategyPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitSettings();
}

bool StrategyPanel::event(QEvent *event)
{
    // In a scroll area the panel is never made narrower than its minimum,
    // so the width that decides is its parent's (the viewport's).
    if (event->type() == QEvent::ParentChange && parentWidget())
        parentWidget()->installEventFilter(this);
    return QWidget::event(event);
}

bool StrategyPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize)
        fitSettings();
    return QWidget::eventFilter(watched, event);
}

int StrategyPanel::wideWidth() const
{
    // What the wide arrangement needs: four columns (label, field, label,
    // field), each as wide as its widest entry, and the eviction row's
    // three controls across the last three. Measured from the widgets, so a
    // larger font or zoom switches to one setting a row before anything has
    // to scroll sideways.
    const int spacing = m_grid->horizontalSpacing();
    int columns[4] = { 0, 0, 0, 0 };
    const qsizetype pairs = m_settings.size() - 1; // the last one is the eviction row
    for (qsizetype i = 0; i < pairs; ++i) {
        const int column = int(i % 2) * 2;
        columns[column] = std::max(columns[column], m_settings.at(i).first->sizeHint().width());
        columns[column + 1] = std::max(columns[column + 1], m_settings.at(i).second->sizeHint().width());
    }
    const auto &[evictionLabel, evictionRow] = m_settings.last();
    columns[0] = std::max(columns[0], evictionLabel->sizeHint().width());
    const int across = std::max(columns[1] + columns[2] + columns[3] + 2 * spacing, evictionRow->minimumSizeHint().width());
    const QMargins margins = layout()->contentsMargins();
    return margins.left() + columns[0] + spacing + across + margins.right();
}

void StrategyPanel::fitSettings()
{
    arrangeFor(parentWidget() ? std::min(width(), parentWidget()->width()) : width());
    fitExplanation();
}

void StrategyPanel::arrangeFor(int width)
{
    const bool narrow = width < wideWidth();
    if (narrow == m_narrow)
        return;
    arrangeSettings(narrow);
    // Measured right after this (heightForWidth): not with the old rows.
    layout()->activate();
}

void StrategyPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        fitExplanation();
}

QString StrategyPanel::explanation(StrategyKind kind)
{
    switch (kind) {
    case StrategyKind::None:
        return tr("<b>No cache.</b> Every read and write goes straight to SQLite. "
                  "The baseline: compare its latency with the others.");
    case StrategyKind::CacheAside:
        return tr("<b>Read:</b> the app asks Redis first; on a <i>miss</i> it reads SQLite and "
                  "<i>fills</i> Redis with a TTL.<br><b>Write:</b> SQLite first, then the cached copy is deleted.");
    case StrategyKind::ReadThrough:
        return tr("<b>Read:</b> the app only talks to the cache; the cache's loader reads SQLite on a miss."
                  "<br><b>Write:</b> SQLite first, then the cached copy is deleted.");
    case StrategyKind::WriteThrough:
        return tr("<b>Read:</b> as read-through.<br><b>Write:</b> commit to SQLite, then set the new value "
                  "in Redis before reporting success: the cache is never behind.");
    case StrategyKind::WriteBehind:
        return tr("<b>Write:</b> Redis and a reliable queue at once; a worker writes SQLite later, in "
                  "batches.<br><b>Read:</b> from Redis. Fast writes, SQLite briefly behind.");
    }
    return {};
}
