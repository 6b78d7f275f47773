// Zoom: one magnification for every widget of the application.
//
// Qt cannot change QT_SCALE_FACTOR while running, so zoom scales the
// application font instead: QApplication::setFont() reaches every widget
// whose font is not fixed, and each widget lays itself out again. Panels
// that derive fonts or widths from their own font (charts, the sequence
// diagram, fixed table columns) recompute them on QEvent::FontChange (see
// fontfollow.h). The base is the font the application had when the first
// Zoom was made, so a 12 pt system font zooms from 12 pt.
#pragma once

#include <QFont>
#include <QObject>

class Zoom final : public QObject
{
    Q_OBJECT

public:
    static constexpr double MinFactor = 0.75;
    static constexpr double MaxFactor = 3.0;

    explicit Zoom(QObject *parent = nullptr);

    double factor() const { return m_factor; }
    /// Clamps to [MinFactor, MaxFactor] and applies the scaled font at once.
    void setFactor(double factor);
    /// The next step up or down (steps of about 12 %), or back to 1.
    void zoomIn();
    void zoomOut();
    void reset() { setFactor(1.0); }
    /// The unzoomed application font.
    QFont baseFont() const { return m_base; }

signals:
    void factorChanged(double factor);

private:
    QFont m_base;
    double m_factor = 1.0;
};
