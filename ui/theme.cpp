// Theme: colour choices that stay readable on light and dark palettes.
#include "theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleHints>

bool Theme::isDark()
{
    const QPalette p = QApplication::palette();
    return p.color(QPalette::WindowText).lightness() > p.color(QPalette::Window).lightness();
}

namespace {
QColor pick(const char *light, const char *dark)
{
    return QColor(QLatin1String(Theme::isDark() ? dark : light));
}
} // namespace

QColor Theme::outcomeColor(TraceOutcome outcome)
{
    switch (outcome) {
    case TraceOutcome::Hit:
    case TraceOutcome::NegativeHit:
        return pick("#1e9e4a", "#3fcf72");
    case TraceOutcome::Miss:
        return pick("#d98a00", "#f2b233");
    case TraceOutcome::Fill:
        return pick("#1f6fd1", "#5aa2ff");
    case TraceOutcome::Invalidate:
        return pick("#8a3fd1", "#b98cff");
    case TraceOutcome::Queue:
        return pick("#0f8f8f", "#3fd0d0");
    case TraceOutcome::StaleSkip:
    case TraceOutcome::Skipped:
    case TraceOutcome::Coalesced:
    case TraceOutcome::LockWait:
    case TraceOutcome::EarlyRefresh:
        return pick("#6d6f8a", "#a3a6c8");
    case TraceOutcome::Deferred:
    case TraceOutcome::Unavailable:
    case TraceOutcome::Conflict:
        return pick("#c2561a", "#ff8c4a");
    case TraceOutcome::Error:
    case TraceOutcome::Invalid:
        return pick("#c62828", "#ff6b6b");
    case TraceOutcome::NotFound:
        return pick("#7a7a7a", "#a0a0a0");
    case TraceOutcome::Ok:
        break;
    }
    return pick("#4f5b66", "#b0bac4");
}

QColor Theme::systemColor(TraceSystem system)
{
    switch (system) {
    case TraceSystem::App:
        return pick("#3d4a5c", "#c9d3df");
    case TraceSystem::Redis:
        return pick("#d82c20", "#ff5b4f");
    case TraceSystem::Sql:
        return pick("#0f6fa8", "#4fb0ea");
    }
    return accent();
}

QString Theme::systemLabel(TraceSystem system)
{
    switch (system) {
    case TraceSystem::App:
        return QStringLiteral("App");
    case TraceSystem::Redis:
        return QStringLiteral("Redis");
    case TraceSystem::Sql:
        return QStringLiteral("SQLite");
    }
    return {};
}

QColor Theme::eventColor(const QString &event)
{
    if (event == QLatin1String("expired"))
        return pick("#d97706", "#f5a524");
    if (event == QLatin1String("evicted"))
        return pick("#c62828", "#ff6b6b");
    if (event == QLatin1String("del") || event == QLatin1String("unlink"))
        return pick("#6b7280", "#9ca3af");
    if (event == QLatin1String("expire") || event == QLatin1String("persist"))
        return pick("#8a3fd1", "#b98cff");
    if (event.startsWith(QLatin1Char('h')))
        return pick("#1f6fd1", "#5aa2ff");
    if (event.startsWith(QLatin1Char('l')) || event.startsWith(QLatin1Char('r')))
        return pick("#0f8f8f", "#3fd0d0");
    if (event == QLatin1String("set") || event == QLatin1String("new"))
        return pick("#1e9e4a", "#3fcf72");
    return pick("#4f5b66", "#b0bac4");
}

QColor Theme::accent()
{
    return pick("#d82c20", "#ff5b4f");
}

QColor Theme::muted()
{
    const QPalette p = QApplication::palette();
    QColor c = p.color(QPalette::WindowText);
    c.setAlphaF(0.45f);
    return c;
}

QColor Theme::textOn(const QColor &background)
{
    return background.lightness() > 150 ? QColor(0x20, 0x20, 0x20) : QColor(Qt::white);
}

void Theme::usePalette(bool dark)
{
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p = QApplication::style()->standardPalette();
    if (dark) {
        const QColor window(0x2b, 0x2d, 0x31), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, QColor(0x35, 0x38, 0x3d));
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::ToolTipBase, base);
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa6));
        p.setColor(QPalette::Highlight, QColor(0x3b, 0x78, 0xd8));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Mid, QColor(0x50, 0x53, 0x58));
        p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
        p.setColor(QPalette::Light, QColor(0x45, 0x48, 0x4d));
        p.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x84, 0x88));
        p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x84, 0x88));
        p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x84, 0x88));
    }
    QApplication::setPalette(p);
}

void Theme::apply()
{
    const QString sheet = QStringLiteral(
        "QDockWidget::title { padding: 4px 8px; font-weight: 600; }"
        "QLabel[fieldError=\"true\"] { color: %1; }"
        "QLabel#explanation { padding: 6px; border-radius: 6px; background: palette(alternate-base); }")
                              .arg(outcomeColor(TraceOutcome::Error).name());
    qApp->setStyleSheet(sheet);
}
