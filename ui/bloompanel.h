// BloomPanel: the Bloom filter that guards gets of ids that never existed.
//
// Shows how the filter is stored (RedisBloom module or a plain bitmap), its
// sizes (m bits, k hashes, n ids), the configured, estimated and measured
// false-positive rates and how many gets it spared SQLite. The target rate
// and the expected id count can be changed; "Rebuild" applies them (or just
// rebuilds from SQLite). Everything shown comes from ExistenceFilter.
#pragma once

#include <QTimer>
#include <QWidget>

class ExistenceFilter;
class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

class BloomPanel final : public QWidget
{
    Q_OBJECT

public:
    /// filter may be null (the panel then stays disabled until setFilter()).
    explicit BloomPanel(ExistenceFilter *filter, QWidget *parent = nullptr);

    void setFilter(ExistenceFilter *filter);
    ExistenceFilter *filter() const { return m_filter; }
    /// Redraws from the filter's stats (also done on its statsChanged()).
    void refresh();

private:
    void rebuild();

    ExistenceFilter *m_filter = nullptr;
    QLabel *m_mode;
    QLabel *m_state;
    QLabel *m_size;
    QLabel *m_items;
    QLabel *m_rates;
    QLabel *m_gets;
    QLabel *m_error;
    QCheckBox *m_enabled;
    QDoubleSpinBox *m_rate;
    QSpinBox *m_expected;
    QPushButton *m_rebuild;
    QTimer m_poll;
};
