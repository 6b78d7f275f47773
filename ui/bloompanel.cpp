// BloomPanel: a form of figures over ExistenceFilter::stats().
#include "bloompanel.h"

#include "existencefilter.h"
#include "theme.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace {

QString percent(double rate)
{
    if (rate < 0)
        return QStringLiteral("–");
    return QStringLiteral("%1 %").arg(rate * 100.0, 0, 'f', rate < 0.001 ? 3 : 2);
}

QLabel *valueLabel(const char *name, QWidget *parent)
{
    auto *l = new QLabel(parent);
    l->setObjectName(QLatin1String(name));
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setWordWrap(true); // long figures must not widen the dock column
    return l;
}

} // namespace

BloomPanel::BloomPanel(ExistenceFilter *filter, QWidget *parent)
    : QWidget(parent)
    , m_mode(valueLabel("bloomMode", this))
    , m_state(valueLabel("bloomState", this))
    , m_size(valueLabel("bloomSize", this))
    , m_items(valueLabel("bloomItems", this))
    , m_rates(valueLabel("bloomRates", this))
    , m_gets(valueLabel("bloomGets", this))
    , m_error(valueLabel("bloomError", this))
    , m_enabled(new QCheckBox(tr("Consult on cache misses"), this))
    , m_rate(new QDoubleSpinBox(this))
    , m_expected(new QSpinBox(this))
    , m_rebuild(new QPushButton(tr("Rebuild"), this))
{
    auto *explain = new QLabel(tr("Gets of ids that were never created skip SQLite when the filter is certain "
                                  "(cache penetration). Deleted ids stay in the filter — a Bloom filter cannot "
                                  "remove — so the negative cache answers for those."),
        this);
    explain->setObjectName(QStringLiteral("bloomExplanation"));
    explain->setWordWrap(true);
    explain->setForegroundRole(QPalette::PlaceholderText);

    m_enabled->setObjectName(QStringLiteral("bloomEnabled"));
    m_enabled->setChecked(true);
    m_rate->setObjectName(QStringLiteral("bloomTargetRate"));
    m_rate->setRange(0.01, 50.0);
    m_rate->setDecimals(2);
    m_rate->setSuffix(QStringLiteral(" %"));
    m_rate->setValue(1.0);
    m_rate->setToolTip(tr("Target false-positive rate; applied by Rebuild"));
    m_expected->setObjectName(QStringLiteral("bloomExpected"));
    m_expected->setRange(0, 10000000);
    m_expected->setSingleStep(1000);
    // A short special text: the spin box's minimum width follows it, and a
    // long one made this dock (and its column) 460 px wide at least.
    m_expected->setSpecialValueText(tr("auto"));
    m_expected->setToolTip(tr("Ids the filter is sized for (auto: 2 × the rows, at least 10,000); applied by Rebuild"));
    m_rebuild->setObjectName(QStringLiteral("bloomRebuild"));
    m_rebuild->setToolTip(tr("Read every id from SQLite into a new filter, then swap it in (RENAME)"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(
        QStringLiteral("QLabel { color: %1; }").arg(Theme::outcomeColor(TraceOutcome::Error).name()));
    m_error->hide();

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Storage:"), m_mode);
    form->addRow(tr("State:"), m_state);
    form->addRow(tr("Size:"), m_size);
    form->addRow(tr("Ids:"), m_items);
    form->addRow(tr("False positives:"), m_rates);
    form->addRow(tr("Gets:"), m_gets);

    auto *settings = new QHBoxLayout;
    settings->addWidget(new QLabel(tr("Target:"), this));
    settings->addWidget(m_rate);
    settings->addWidget(new QLabel(tr("for"), this));
    settings->addWidget(m_expected, 1);
    settings->addWidget(m_rebuild);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);
    layout->addWidget(explain);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_enabled);
    layout->addLayout(settings);
    layout->addStretch(1);

    connect(m_rebuild, &QPushButton::clicked, this, &BloomPanel::rebuild);
    connect(m_enabled, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_filter)
            return;
        ExistenceFilter::Settings s = m_filter->settings();
        s.enabled = on;
        m_filter->setSettings(s);
    });
    // Other instances add ids too: re-read n now and then.
    m_poll.setInterval(3000);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (m_filter && isVisible())
            m_filter->refreshStats();
    });
    setEnabled(false);
    refresh();
    setFilter(filter);
}

void BloomPanel::setFilter(ExistenceFilter *filter)
{
    if (m_filter)
        disconnect(m_filter, nullptr, this, nullptr);
    m_filter = filter;
    setEnabled(filter != nullptr);
    if (filter) {
        connect(filter, &ExistenceFilter::statsChanged, this, &BloomPanel::refresh);
        connect(filter, &ExistenceFilter::buildFinished, this, &BloomPanel::refresh);
        connect(filter, &QObject::destroyed, this, [this] { setFilter(nullptr); });
        const ExistenceFilter::Settings s = filter->settings();
        m_rate->setValue(s.falsePositiveRate * 100.0);
        m_expected->setValue(int(std::min<qint64>(s.expectedItems, m_expected->maximum())));
        m_enabled->setChecked(s.enabled);
        m_poll.start();
    } else {
        m_poll.stop();
    }
    refresh();
}

void BloomPanel::rebuild()
{
    if (!m_filter)
        return;
    ExistenceFilter::Settings s = m_filter->settings();
    const ExistenceFilter::Settings before = s;
    s.falsePositiveRate = m_rate->value() / 100.0;
    s.expectedItems = m_expected->value();
    s.enabled = m_enabled->isChecked();
    m_filter->setSettings(s);
    // New sizes rebuild by themselves; otherwise rebuild from SQLite as asked.
    if (s.clamped().falsePositiveRate == before.falsePositiveRate && s.clamped().expectedItems == before.expectedItems)
        m_filter->rebuild();
    refresh();
}

void BloomPanel::refresh()
{
    if (!m_filter) {
        for (QLabel *l : { m_mode, m_state, m_size, m_items, m_rates, m_gets })
            l->setText(QStringLiteral("–"));
        m_state->setText(tr("no Redis connection yet"));
        m_error->hide();
        return;
    }
    const QLocale locale;
    const ExistenceFilter::Stats s = m_filter->stats();
    m_mode->setText(ExistenceFilter::modeName(s.mode));
    QString state = ExistenceFilter::stateName(s.state);
    if (s.builds > 0 && s.builtAt.isValid())
        state += tr(" · built %1 (%2 ms), %n build(s)", nullptr, int(s.builds))
                     .arg(QLocale().toString(s.builtAt.toLocalTime().time(), QLocale::ShortFormat))
                     .arg(s.lastBuildMs);
    m_state->setText(state);
    if (s.bits > 0) {
        m_size->setText(tr("m = %1 bits (%2 KiB), k = %3 hashes")
                            .arg(locale.toString(s.bits), locale.toString(double(s.bits) / 8192.0, 'f', 1))
                            .arg(s.hashes));
        m_items->setText(tr("n = %1 of %2 sized for").arg(locale.toString(s.items), locale.toString(s.capacity)));
        m_rates->setText(tr("target %1 · estimated %2 · measured %3")
                             .arg(percent(s.targetRate), percent(s.estimatedRate), percent(s.measuredRate())));
    } else {
        m_size->setText(QStringLiteral("–"));
        m_items->setText(QStringLiteral("–"));
        m_rates->setText(tr("target %1").arg(percent(s.targetRate)));
    }
    m_rates->setToolTip(tr("Estimated: (1 − e^(−kn/m))^k. Measured: gets of missing ids the filter let "
                           "through to SQLite, out of all gets of missing ids (%1 of %2).")
                            .arg(s.falsePositives)
                            .arg(s.falsePositives + s.shortCircuited));
    m_gets->setText(tr("%1 checked · %2 spared SQLite · %3 may exist · %4 unsure")
                        .arg(locale.toString(qulonglong(s.checks)), locale.toString(qulonglong(s.shortCircuited)),
                            locale.toString(qulonglong(s.maybes)), locale.toString(qulonglong(s.unsure))));
    m_error->setText(s.lastError);
    m_error->setVisible(!s.lastError.isEmpty());
    m_enabled->blockSignals(true);
    m_enabled->setChecked(s.state != ExistenceFilter::State::Disabled);
    m_enabled->blockSignals(false);
}
