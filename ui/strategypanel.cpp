// StrategyPanel: widgets bound to ProductService settings in both directions.
#include "strategypanel.h"

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
    m_maxMemory->setRange(0, 65536);
    m_maxMemory->setSuffix(tr(" MB"));
    m_maxMemory->setSpecialValueText(tr("no limit"));
    m_maxMemory->setToolTip(tr("maxmemory: the memory Redis may use before it evicts keys"));
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
    auto *pick = new QHBoxLayout;
    auto *strategyLabel = new QLabel(tr("&Strategy"), this);
    strategyLabel->setBuddy(m_strategy);
    pick->addWidget(strategyLabel);
    pick->addWidget(m_strategy);
    pick->addStretch(1);
    top->addLayout(pick);
    top->addWidget(m_explanation);

    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(4);
    const auto label = [this](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text, this);
        l->setBuddy(buddy);
        return l;
    };
    grid->addWidget(label(tr("TT&L"), m_ttl), 0, 0);
    grid->addWidget(m_ttl, 0, 1);
    grid->addWidget(label(tr("&Jitter"), m_jitter), 0, 2);
    grid->addWidget(m_jitter, 0, 3);
    grid->addWidget(label(tr("St&ampede"), m_stampede), 1, 0);
    grid->addWidget(m_stampede, 1, 1);
    grid->addWidget(label(tr("DB &latency"), m_latency), 1, 2);
    grid->addWidget(m_latency, 1, 3);
    auto *evictionRow = new QHBoxLayout;
    evictionRow->addWidget(m_maxMemory);
    evictionRow->addWidget(m_policy, 1);
    evictionRow->addWidget(applyEviction);
    grid->addWidget(label(tr("E&viction"), m_maxMemory), 2, 0);
    grid->addLayout(evictionRow, 2, 1, 1, 3);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addLayout(top);
    layout->addLayout(grid);

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
        m_maxMemory->setValue(int(e.maxmemoryBytes / (1024 * 1024)));
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
    e.maxmemoryBytes = qint64(m_maxMemory->value()) * 1024 * 1024;
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
                               applied.maxmemoryBytes ? tr("%1 MB").arg(applied.maxmemoryBytes / (1024 * 1024))
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
    if (QLayout *l = layout(); l && l->hasHeightForWidth())
        setMinimumHeight(l->totalHeightForWidth(width()));
}

void StrategyPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitExplanation();
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
