// Zoom: scales the application font in fixed steps.
#include "zoom.h"

#include <QApplication>

#include <array>
#include <cmath>

namespace {
// Steps a person can tell apart, dense near 1 where most zooming happens.
constexpr std::array<double, 12> Steps { 0.75, 0.85, 1.0, 1.12, 1.25, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6, 3.0 };

// The base font comes from the first Zoom: later ones must not take an
// already zoomed application font as their 100 %.
QFont &sharedBase()
{
    static QFont base = QApplication::font();
    return base;
}
} // namespace

Zoom::Zoom(QObject *parent)
    : QObject(parent)
    , m_base(sharedBase())
{
    // A second window's Zoom starts where the application font is now.
    const QFont current = QApplication::font();
    if (m_base.pointSizeF() > 0 && current.pointSizeF() > 0)
        m_factor = current.pointSizeF() / m_base.pointSizeF();
    else if (m_base.pixelSize() > 0 && current.pixelSize() > 0)
        m_factor = double(current.pixelSize()) / double(m_base.pixelSize());
}

void Zoom::setFactor(double factor)
{
    factor = std::clamp(factor, MinFactor, MaxFactor);
    if (std::abs(factor - m_factor) < 1e-6)
        return;
    m_factor = factor;
    QFont f = m_base;
    if (m_base.pointSizeF() > 0)
        f.setPointSizeF(m_base.pointSizeF() * factor);
    else
        f.setPixelSize(std::max(1, int(std::lround(m_base.pixelSize() * factor))));
    QApplication::setFont(f);
    // With an application style sheet (Theme::apply) the style has already
    // given every widget a font of its own, which the new application font
    // does not replace: polishing again with the same sheet lets it through.
    if (!qApp->styleSheet().isEmpty())
        qApp->setStyleSheet(qApp->styleSheet());
    emit factorChanged(m_factor);
}

void Zoom::zoomIn()
{
    for (double step : Steps) {
        if (step > m_factor + 1e-3) {
            setFactor(step);
            return;
        }
    }
    setFactor(MaxFactor);
}

void Zoom::zoomOut()
{
    for (auto it = Steps.rbegin(); it != Steps.rend(); ++it) {
        if (*it < m_factor - 1e-3) {
            setFactor(*it);
            return;
        }
    }
    setFactor(MinFactor);
}
