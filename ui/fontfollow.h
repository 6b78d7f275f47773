// followFont: re-run a widget's font-derived sizing whenever its font changes.
//
// Fixed column widths, row heights and chart fonts are computed from a
// widget's font. Zoom (and a changed system font) changes that font while
// the window runs, so the computation must run again; this installs an
// event filter that calls apply after every QEvent::FontChange of the
// widget (on the next event-loop turn), and calls it once now.
#pragma once

#include <QEvent>
#include <QObject>
#include <QWidget>

#include <functional>

namespace FontFollow {

class Filter final : public QObject
{
public:
    Filter(QWidget *widget, std::function<void()> apply)
        : QObject(widget)
        , m_apply(std::move(apply))
    {
        widget->installEventFilter(this);
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        // On the next turn, once: a zoom re-polishes every widget (see
        // Zoom), which may set fonts again after this event.
        if (event->type() == QEvent::FontChange && watched == parent() && !m_pending) {
            m_pending = true;
            QMetaObject::invokeMethod(
                this,
                [this] {
                    m_pending = false;
                    m_apply();
                },
                Qt::QueuedConnection);
        }
        return false;
    }

private:
    std::function<void()> m_apply;
    bool m_pending = false;
};

/// Calls apply now and after every font change of widget (for as long as it lives).
inline void follow(QWidget *widget, std::function<void()> apply)
{
    apply();
    new Filter(widget, std::move(apply));
}

} // namespace FontFollow
