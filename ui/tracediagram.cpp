// TraceDiagram: custom painting; lanes sized to the widget width.
#include "tracediagram.h"

#include "theme.h"
#include "tracelistmodel.h"

#include <QFontDatabase>
#include <QPainter>
#include <QPainterPath>

TraceDiagram::TraceDiagram(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("traceDiagram"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void TraceDiagram::setTrace(const OperationTrace &trace)
{
    m_trace = trace;
    m_has = true;
    updateGeometry();
    update();
}

void TraceDiagram::clear()
{
    m_has = false;
    m_trace = {};
    updateGeometry();
    update();
}

int TraceDiagram::rowHeight() const
{
    return fontMetrics().height() * 2 + 10;
}

int TraceDiagram::headerHeight() const
{
    return fontMetrics().height() * 3 + 14;
}

QSize TraceDiagram::sizeHint() const
{
    const int rows = m_has ? int(m_trace.steps.size()) : 2;
    return { 420, headerHeight() + rows * rowHeight() + fontMetrics().height() * 2 + 16 };
}

QSize TraceDiagram::minimumSizeHint() const
{
    return { 300, sizeHint().height() };
}

void TraceDiagram::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();

    if (!m_has) {
        p.setPen(Theme::muted());
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
            tr("Pick an operation on the left to see what it did:\nApp → Redis → SQLite, step by step."));
        return;
    }

    const int margin = 10;
    const int w = width() - 2 * margin;
    const int laneX[3] = { margin + w / 8, margin + w / 2 - w / 16, margin + w - w / 8 };
    const auto laneOf = [&](TraceSystem s) {
        return laneX[s == TraceSystem::App ? 0 : s == TraceSystem::Redis ? 1 : 2];
    };

    // Title line: operation, strategy, outcome, total time.
    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    p.setFont(titleFont);
    p.setPen(pal.color(QPalette::Text));
    QString title = m_trace.operation;
    if (m_trace.productId > 0)
        title += QStringLiteral(" #%1").arg(m_trace.productId);
    title += QStringLiteral("  ·  %1").arg(strategyName(m_trace.strategy));
    p.drawText(QRect(margin, 4, w, fm.height() + 6), Qt::AlignLeft | Qt::AlignVCenter, title);
    const QString total = tr("%1 total").arg(TraceListModel::formatMicros(m_trace.totalMicros));
    p.drawText(QRect(margin, 4, w, fm.height() + 6), Qt::AlignRight | Qt::AlignVCenter, total);

    // Lane heads.
    const int headTop = fm.height() + 14;
    const int headH = fm.height() + 10;
    QFont headFont = font();
    headFont.setBold(true);
    p.setFont(headFont);
    const int bodyTop = headerHeight();
    const int bodyBottom = bodyTop + int(m_trace.steps.size()) * rowHeight() + 4;
    for (TraceSystem s : { TraceSystem::App, TraceSystem::Redis, TraceSystem::Sql }) {
        const int x = laneOf(s);
        const QColor c = Theme::systemColor(s);
        const int boxW = fm.horizontalAdvance(QStringLiteral("SQLite")) + 28;
        const QRectF box(x - boxW / 2.0, headTop, boxW, headH);
        QPainterPath path;
        path.addRoundedRect(box, 6, 6);
        p.fillPath(path, c);
        p.setPen(Theme::textOn(c));
        p.drawText(box, Qt::AlignCenter, Theme::systemLabel(s));
        QColor line = c;
        line.setAlphaF(0.35f);
        p.setPen(QPen(line, 2, Qt::DashLine));
        p.drawLine(QPointF(x, box.bottom()), QPointF(x, bodyBottom));
    }

    // Steps.
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(font().pointSizeF() * 0.92);
    const QFontMetrics monoFm(mono);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    small.setBold(true);
    const QFontMetrics smallFm(small);
    int y = bodyTop;
    for (const TraceStep &step : m_trace.steps) {
        const int rh = rowHeight();
        const QColor outcome = Theme::outcomeColor(step.outcome);
        const int from = laneX[0];
        const int to = laneOf(step.system);
        const int arrowY = y + rh / 2 + 4;

        // Outcome pill and time, right aligned on the label line.
        const QString pillText = traceOutcomeName(step.outcome);
        const int pillW = smallFm.horizontalAdvance(pillText) + 14;
        const QString time = step.micros > 0 ? TraceListModel::formatMicros(step.micros) : QString();
        const int timeW = time.isEmpty() ? 0 : smallFm.horizontalAdvance(time) + 8;

        if (step.system == TraceSystem::App) {
            // A note on the app lifeline.
            p.setPen(Qt::NoPen);
            p.setBrush(outcome);
            p.drawEllipse(QPointF(from, arrowY), 5, 5);
        } else {
            QColor c = Theme::systemColor(step.system);
            p.setPen(QPen(c, 2));
            p.drawLine(QPointF(from + 6, arrowY), QPointF(to - 8, arrowY));
            QPainterPath head;
            head.moveTo(to - 2, arrowY);
            head.lineTo(to - 11, arrowY - 5);
            head.lineTo(to - 11, arrowY + 5);
            head.closeSubpath();
            p.fillPath(head, c);
            p.setPen(Qt::NoPen);
            p.setBrush(outcome);
            p.drawEllipse(QPointF(to, arrowY), 5, 5);
        }

        // Label above the arrow: the command or SQL, then the outcome pill
        // and the time right after it, elided to the room there is.
        const int textLeft = from + 14;
        const int room = width() - margin - textLeft - pillW - timeW - 10;
        p.setFont(mono);
        p.setPen(pal.color(QPalette::Text));
        const QString text = monoFm.elidedText(step.text, Qt::ElideRight, std::max(40, room));
        const int textW = monoFm.horizontalAdvance(text);
        p.drawText(QRect(textLeft, y + 2, textW + 2, monoFm.height() + 2), Qt::AlignLeft | Qt::AlignVCenter, text);

        // Detail below the arrow (reply or error).
        if (!step.detail.isEmpty()) {
            p.setPen(Theme::muted());
            const QString detail
                = monoFm.elidedText(step.detail, Qt::ElideRight, std::max(40, width() - margin - textLeft));
            p.drawText(QRect(textLeft, arrowY + 5, width() - margin - textLeft, monoFm.height() + 2),
                Qt::AlignLeft | Qt::AlignVCenter, detail);
        }

        p.setFont(small);
        const QRectF pill(
            textLeft + textW + 8, y + 2 + (monoFm.height() - smallFm.height()) / 2.0 - 1, pillW, smallFm.height() + 4);
        QPainterPath pillPath;
        pillPath.addRoundedRect(pill, pill.height() / 2, pill.height() / 2);
        p.fillPath(pillPath, outcome);
        p.setPen(Theme::textOn(outcome));
        p.drawText(pill, Qt::AlignCenter, pillText);
        if (!time.isEmpty()) {
            p.setPen(pal.color(QPalette::Text));
            p.drawText(
                QRectF(pill.right() + 6, pill.top(), timeW, pill.height()), Qt::AlignLeft | Qt::AlignVCenter, time);
        }
        y += rh;
    }

    // Result line.
    p.setFont(headFont);
    const QColor oc = Theme::outcomeColor(m_trace.outcome);
    p.setPen(oc);
    QString result = tr("Result: %1").arg(traceOutcomeName(m_trace.outcome));
    if (!m_trace.error.isEmpty())
        result += QStringLiteral(" — ") + m_trace.error;
    p.drawText(QRect(margin, bodyBottom + 4, w, fm.height() + 8), Qt::AlignLeft | Qt::AlignVCenter,
        fm.elidedText(result, Qt::ElideRight, w));
}
