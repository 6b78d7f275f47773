// StrategyPanel: the caching strategy switch and the knobs that go with it.
//
// The combo lists the five strategies by their one spelling; beside it a
// plain-language explanation says what happens on a read and on a write.
// TTL, jitter, stampede mode and the artificial database latency apply at
// once through ProductService::setSettings(); eviction settings go to Redis
// with CONFIG SET when the user presses Apply.
#pragma once

#include "strategykind.h"

#include <QWidget>

class ProductService;
class QComboBox;
class QGridLayout;
class QLabel;
class QSpinBox;

class StrategyPanel final : public QWidget
{
    Q_OBJECT

public:
    /// Shows and changes the service's strategy and settings.
    explicit StrategyPanel(ProductService *service, QWidget *parent = nullptr);

    /// What the chosen strategy does, for a person.
    static QString explanation(StrategyKind kind);
    /// The width the settings need two a row (below it they go one a row).
    int wideWidth() const;
    /// Arranges the settings for this width now (the window sizes its docks
    /// from the height that takes).
    void arrangeFor(int width);

signals:
    void message(const QString &text);

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void showExplanation(StrategyKind kind);
    void arrangeSettings(bool narrow);
    void fitSettings();
    void fitExplanation();
    void pushSettings();
    void syncFromService();
    void applyEviction();

    ProductService *m_service;
    QComboBox *m_strategy;
    QLabel *m_explanation;
    QSpinBox *m_ttl;
    QSpinBox *m_jitter;
    QComboBox *m_stampede;
    QSpinBox *m_latency;
    QSpinBox *m_maxMemory;
    QComboBox *m_policy;
    bool m_syncing = false;
    QGridLayout *m_grid = nullptr;
    QList<std::pair<QLabel *, QWidget *>> m_settings; ///< label and field, in order
    bool m_narrow = false;
};
